import { test, expect } from '@playwright/test';
import { failOnConsoleErrors, hydrated } from '../helpers.mjs';

failOnConsoleErrors();

test('the home page is rendered on the server, with its data, before any script runs', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const response = await page.goto('/');
  expect(response.status()).toBe(200);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your software catalog');
  await expect(page.getByRole('heading', { name: 'Recently changed' })).toBeVisible();
  await expect(page.locator('.kind-counts li')).not.toHaveCount(0);
  await context.close();
});

test('the home page hydrates: the recent list filters as you type', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  const items = page.getByTestId('recent-list').locator('li');
  const before = await items.count();
  expect(before).toBeGreaterThan(1);
  const first = (await items.first().locator('a').textContent()).trim();
  await page.getByPlaceholder('Filter this list').fill(first);
  await expect(items.first().locator('a')).toHaveText(first);
  expect(await items.count()).toBeLessThan(before);
  await page.getByPlaceholder('Filter this list').fill('zzz-no-such-entity');
  await expect(items).toHaveCount(0);
});

test('navigation reaches every section and an entity page', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  for (const [link, heading] of [['Catalog', 'Catalog'], ['Create', 'Create a new service'], ['Teams', 'Teams'], ['Metrics', 'Platform metrics']]) {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(heading);
  }
  await page.goto('/catalog?kind=component');
  await page.getByRole('link', { name: 'Web Shop' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Web Shop');
  await expect(page.getByText('The Next.js storefront customers browse and buy from.', { exact: true })).toBeVisible();
  await expect(page.getByRole('link', { name: 'checkout-team' }).first()).toBeVisible();
});

test('catalog search works without JavaScript through the form', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/catalog');
  await page.getByLabel('Search').fill('basket');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/q=basket/);
  await expect(page.getByRole('link', { name: 'Basket Service' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Web Shop' })).toHaveCount(0);
  await context.close();
});

test('an unknown address shows the 404 page', async ({ page }) => {
  const response = await page.goto('/this/page/does/not/exist');
  expect(response.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Not found');
  await expect(page.getByRole('link', { name: 'Back to the home page' })).toBeVisible();
});

test('the skip link and navigation are reachable from the keyboard', async ({ page }) => {
  await page.goto('/');
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('banner').getByRole('link', { name: 'Portico' })).toBeFocused();
});
