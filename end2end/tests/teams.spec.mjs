import { test, expect } from '@playwright/test';
import { failOnConsoleErrors, hydrated } from '../helpers.mjs';

failOnConsoleErrors();

test('from the team directory to a team, one of its people and a component they own', async ({ page }) => {
  await page.goto('/teams');
  await hydrated(page);
  const tree = page.locator('table.team-tree');
  await expect(tree.getByRole('link', { name: 'Acme Retail' })).toBeVisible();
  // Checkout's row counts Payments' people and belongings too.
  const checkout = tree.locator('tr', { has: page.getByRole('link', { name: 'Checkout', exact: true }) });
  await expect(checkout).toContainText('1 (3 with child teams)');
  await tree.getByRole('link', { name: 'Checkout', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Checkout');
  await expect(page.getByRole('heading', { name: 'Members (1)' })).toBeVisible();
  // The dependency picture names the teams on both sides.
  const picture = page.getByRole('img', { name: /depends on Checkout/ });
  await expect(picture).toBeVisible();

  await page.getByRole('link', { name: /Include child teams/ }).click();
  await expect(page).toHaveURL(/scope=all$/);
  await expect(page.getByRole('heading', { name: 'Members (3)' })).toBeVisible();
  await page.getByRole('link', { name: 'Katherine Johnson' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Katherine Johnson');
  await expect(page.getByText('In Acme Retail › Checkout')).toBeVisible();
  await page.getByRole('link', { name: 'Payment Service' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Payment Service');
});

test('the team directory searches and a team page reads without JavaScript', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/teams');
  await page.getByRole('searchbox', { name: 'Find' }).fill('refunds');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/q=refunds/);
  await expect(page.getByText('1 of 6 teams match.')).toBeVisible();
  await page.getByRole('link', { name: 'Payments' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Payments');
  await expect(page.getByRole('link', { name: 'Payment Service' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Ownership health' })).toBeVisible();
  await context.close();
});
