import { test, expect } from '@playwright/test';
import { failOnConsoleErrors, hydrated } from '../helpers.mjs';

failOnConsoleErrors();

/** Counts full page loads, so a test can assert that navigation stayed client-side. */
async function countLoads(page) {
  await page.evaluate(() => { window.__portico_marker = true; });
  return async () => page.evaluate(() => window.__portico_marker === true);
}

const rows = (page) => page.locator('.catalog-table tbody tr');

test('finds an entity in a few keystrokes', async ({ page }) => {
  await page.goto('/catalog');
  await hydrated(page);
  const sameDocument = await countLoads(page);
  await page.getByLabel('Search').pressSequentially('indexer');
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toContainText('Search Indexer');
  await expect(page).toHaveURL(/q=indexer/);
  expect(await sameDocument()).toBe(true);
});

test('a facet click narrows the list client-side and back restores the filter', async ({ page }) => {
  await page.goto('/catalog?kind=component');
  await hydrated(page);
  const sameDocument = await countLoads(page);
  await expect(page.getByTestId('result-count')).toHaveText('8 entities');
  await page.locator('fieldset[data-facet="type"]').getByLabel(/^service/).check();
  await expect(page.getByTestId('result-count')).toHaveText('5 entities');
  await expect(page).toHaveURL(/type=service/);
  await page.locator('fieldset[data-facet="lifecycle"]').getByLabel(/^experimental/).check();
  await expect(page.getByTestId('result-count')).toHaveText('1 entity');
  expect(await sameDocument()).toBe(true);

  await page.goBack();
  await expect(page.getByTestId('result-count')).toHaveText('5 entities');
  await expect(page.locator('fieldset[data-facet="lifecycle"]').getByLabel(/^experimental/)).not.toBeChecked();
  await page.goBack();
  await expect(page.getByTestId('result-count')).toHaveText('8 entities');
  expect(await sameDocument()).toBe(true);
});

test('sorts by a column', async ({ page }) => {
  await page.goto('/catalog?kind=component&type=service');
  await hydrated(page);
  await page.getByRole('columnheader', { name: 'Lifecycle' }).getByRole('link').click();
  await expect(page).toHaveURL(/sort=lifecycle/);
  await expect(page.getByRole('columnheader', { name: 'Lifecycle' })).toHaveAttribute('aria-sort', 'ascending');
  await expect(rows(page).first()).toContainText('Recommendations');
  await page.getByRole('columnheader', { name: 'Lifecycle' }).getByRole('link').click();
  await expect(page.getByRole('columnheader', { name: 'Lifecycle' })).toHaveAttribute('aria-sort', 'descending');
});

test('the catalog works without JavaScript', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/catalog');
  await page.getByLabel('Kind').selectOption('component');
  await page.locator('fieldset[data-facet="type"]').getByLabel(/^service/).check();
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page.getByTestId('result-count')).toHaveText('5 entities');
  await context.close();
});

test('entity page graph nodes navigate to related entities', async ({ page }) => {
  await page.goto('/catalog/default/component/basket-service');
  await hydrated(page);
  const graph = page.locator('svg.relation-graph');
  await expect(graph).toBeVisible();
  await graph.locator('a[href="/catalog/default/group/checkout-team"]').click();
  await expect(page).toHaveURL(/\/catalog\/default\/group\/checkout-team$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Checkout');
  await expect(page.getByRole('heading', { name: /^Members/ })).toBeVisible();
});

test('registers pasted YAML and shows it in the catalog', async ({ page }) => {
  await page.goto('/catalog');
  await hydrated(page);
  // Reading is open on this portal; registering needs a person: sign in as a guest
  // (plain form posts) and come back to the catalog.
  await page.getByRole('banner').getByRole('link', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/sign-in\?return_to=(%2F|\/)catalog$/);
  await page.getByRole('button', { name: 'Sign in as Ada Lovelace' }).click();
  await expect(page).toHaveURL(/\/catalog$/);
  await expect(page.locator('.account-name')).toHaveText('Ada Lovelace');
  await expect(page.locator('.account-teams')).toContainText('platform');
  await hydrated(page);
  await page.getByRole('link', { name: 'Register entities' }).click();
  await expect(page).toHaveURL(/\/catalog\/register$/);
  await page.getByLabel('Catalog YAML').fill([
    'apiVersion: backstage.io/v1alpha1',
    'kind: Component',
    'metadata:',
    '  name: e2e-registered',
    'spec:',
    '  type: service',
    '  lifecycle: experimental',
    '  owner: platform',
  ].join('\n'));
  await page.getByRole('button', { name: 'Preview' }).click();
  // The pasted text is posted and kept as a draft: the URL names the draft, not the text.
  await expect(page).toHaveURL(/\/catalog\/register\?draft=[0-9a-f-]+$/);
  await expect(page.getByLabel('Catalog YAML')).toHaveValue(/name: e2e-registered/);
  await expect(page.locator('.register-entities')).toContainText('component:default/e2e-registered');
  await expect(page.locator('.change-new')).toHaveText('new');
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByRole('heading', { name: 'Registered 1 entities' })).toBeVisible();
  await page.goto('/catalog?q=e2e-registered');
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toContainText('e2e-registered');
});
