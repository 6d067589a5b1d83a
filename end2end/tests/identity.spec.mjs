import { test, expect } from '@playwright/test';
import { failOnConsoleErrors, hydrated } from '../helpers.mjs';

failOnConsoleErrors();

test('a person makes an API token on their profile, sees it once, and revokes it', async ({ page, request }) => {
  await page.goto('/sign-in?return_to=%2Fprofile');
  await page.getByRole('button', { name: 'Sign in as Grace Hopper' }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByRole('heading', { name: 'Grace Hopper' })).toBeVisible();
  await expect(page.locator('.facts')).toContainText('group:default/checkout-team');
  await hydrated(page);

  await page.getByLabel('Name').fill('e2e-ci');
  await page.getByLabel(/catalog\.write/).check();
  await page.getByRole('button', { name: 'Make token' }).click();
  const secret = page.locator('.token-secret');
  await expect(secret).toHaveText(/^pt_[0-9a-f]{64}$/);
  const token = await secret.textContent();
  const row = page.locator('table.tokens tbody tr', { hasText: 'e2e-ci' });
  await expect(row).toContainText('read, catalog.write');
  await expect(row).toContainText('never');

  // The token works for the API, as Grace.
  const auth = { authorization: `Bearer ${token}` };
  const shop = await request.get('/api/catalog/entities/by-name/component/default/web-shop', { headers: auth });
  expect(shop.status()).toBe(200);

  // Shown once: a reload lists it without the secret.
  await page.reload();
  await expect(row).toBeVisible();
  await expect(page.locator('.token-secret')).toHaveCount(0);
  await expect(page.locator('body')).not.toContainText(token.slice(12));

  await hydrated(page);
  await row.getByRole('button', { name: 'Revoke e2e-ci' }).click();
  await expect(row).toContainText('revoked');
  const refused = await request.get('/api/catalog/entities', { headers: auth });
  expect(refused.status()).toBe(401);
  expect((await refused.json()).error.message).toContain('was revoked on');
});
