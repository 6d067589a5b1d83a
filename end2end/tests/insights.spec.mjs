// Platform metrics (issue 13): the DORA overview with its charts and drill-down, the
// maturity page, and the satisfaction survey on the home page — with and without
// JavaScript.
import { test, expect } from '@playwright/test';
import { failOnConsoleErrors, hydrated } from '../helpers.mjs';

failOnConsoleErrors();

async function signIn(page, who, path) {
  await page.goto(`/sign-in?return_to=${encodeURIComponent(path)}`);
  await page.getByRole('button', { name: `Sign in as ${who}` }).click();
  await expect(page).toHaveURL(new RegExp(`${path.replace(/[?]/g, '\\?')}$`));
}

test('the delivery overview draws its charts and drills down to a team and a service', async ({ page }) => {
  await signIn(page, 'Alan Turing', '/insights');
  await expect(page.getByRole('heading', { name: 'Platform metrics' })).toBeVisible();
  await expect(page.locator('.key-figures li')).toHaveCount(4);
  await expect(page.getByRole('img', { name: /Deployments per week/ })).toBeVisible();
  await expect(page.getByRole('img', { name: /Lead time distribution/ })).toBeVisible();
  await hydrated(page);
  await page.getByRole('link', { name: '90 days' }).click();
  await expect(page).toHaveURL(/\/insights\?days=90$/);
  await page.getByRole('link', { name: 'group:default/checkout-team' }).first().click();
  await expect(page).toHaveURL(/team=group%3Adefault%2Fcheckout%2Dteam/);
  await expect(page.locator('.lead')).toContainText('Team group:default/checkout-team');
  await page.getByRole('link', { name: 'component:default/web-shop' }).click();
  await expect(page.locator('.lead')).toContainText('Service component:default/web-shop');
});

test('a service\'s maturity says what is missing and links to the fix', async ({ page }) => {
  await signIn(page, 'Alan Turing', '/insights/maturity?component=web-shop');
  await expect(page.getByRole('heading', { name: 'Level 3 · Platform engineering' })).toBeVisible();
  await expect(page.locator('ul.criteria.missing li').first()).toBeVisible();
  await expect(page.locator('ul.criteria.missing a[href="/create/templates/default/service"]')).toBeVisible();
});

test('the NPS question is answered once on the home page', async ({ page }) => {
  await signIn(page, 'Katherine Johnson', '/');
  const question = page.getByRole('group', { name: /How likely are you to recommend/ });
  await expect(question).toBeVisible();
  await hydrated(page);
  await question.getByLabel('9', { exact: true }).check();
  await page.getByLabel('What would make it better? (optional)').fill('Faster previews');
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Thank you' })).toBeVisible();
  await expect(question).toHaveCount(0);
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Your software catalog' })).toBeVisible();
  await expect(question).toHaveCount(0);
});

test('without JavaScript the question can be put away until next quarter', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signIn(page, 'Barbara Liskov', '/');
  const question = page.getByRole('group', { name: /How likely are you to recommend/ });
  await expect(question).toBeVisible();
  await page.getByRole('button', { name: /Not now/ }).click();
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Your software catalog' })).toBeVisible();
  await expect(question).toHaveCount(0);
  await context.close();
});

test('documentation is rated on its entity page, without JavaScript too', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signIn(page, 'Margaret Hamilton', '/catalog/default/component/web-shop');
  const question = page.getByRole('group', { name: 'How useful is this documentation?' });
  await expect(question).toBeVisible();
  await question.getByLabel('4', { exact: true }).check();
  await page.getByLabel('What is missing or wrong? (optional)').fill('A runbook');
  await page.getByRole('button', { name: 'Rate' }).click();
  await page.goto('/catalog/default/component/web-shop');
  await expect(page.getByRole('heading', { name: 'Web Shop' })).toBeVisible();
  await expect(question).toHaveCount(0);
  // An entity without documentation asks nothing.
  await page.goto('/catalog/default/component/basket-service');
  await expect(page.getByRole('heading', { name: 'Basket Service' })).toBeVisible();
  await expect(question).toHaveCount(0);
  await context.close();
});
