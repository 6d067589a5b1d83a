// Signing in through a real OpenID Connect provider: run.sh starts oidc-provider
// (oidc/provider.mjs) and configures it as the portal's "Acme ID".
import { test, expect } from '@playwright/test';
import { hydrated } from '../helpers.mjs';

const OIDC_URL = process.env.OIDC_URL;

test.beforeEach(async ({ page }) => {
  // The provider's development pages import a web font; this machine has no internet.
  await page.route('https://fonts.googleapis.com/**', (route) => route.abort());
});

test('a person signs in at the OpenID Connect provider and comes back signed in', async ({ browser }) => {
  test.skip(!OIDC_URL, 'needs the provider run.sh starts (OIDC_URL)');
  // Without JavaScript: the way in is plain links and forms.
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const portalErrors = [];
  page.on('pageerror', (err) => portalErrors.push(String(err)));

  await page.goto('/catalog');
  await page.getByRole('link', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(/\/sign-in\?return_to=(%2F|\/)catalog$/);
  // The provider first, guest sign-in (kept on for this suite) below it.
  await expect(page.getByRole('link', { name: 'Sign in with Acme ID' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign in as Ada Lovelace' })).toBeVisible();
  await page.getByRole('link', { name: 'Sign in with Acme ID' }).click();

  // At the provider: its login form, then its consent form.
  await expect(page).toHaveURL(new RegExp(`^${OIDC_URL}/interaction/`));
  await page.locator('input[name=login]').fill('ada');
  await page.locator('input[name=password]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();

  // Back at the portal, where the sign-in started, as the catalog's Ada Lovelace.
  await expect(page).toHaveURL(/\/catalog$/);
  await expect(page.locator('.account-name')).toHaveText('Ada Lovelace');
  await expect(page.locator('.account-teams')).toContainText('platform');
  expect(portalErrors).toEqual([]);

  // Signing out ends it.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('link', { name: 'Sign in', exact: true })).toBeVisible();
  await context.close();
});

test('a forged answer from the provider is refused with a way back', async ({ page }) => {
  test.skip(!OIDC_URL, 'needs the provider run.sh starts (OIDC_URL)');
  const response = await page.goto('/auth/e2e/callback?code=forged&state=forged');
  expect(response.status()).toBe(400);
  await expect(page.getByRole('heading', { name: 'Sign-in failed' })).toBeVisible();
  await expect(page.getByText('fits no sign-in started in this browser')).toBeVisible();
  await page.getByRole('link', { name: 'Back to sign-in' }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
});

test('someone the provider knows but the catalog does not is told what to add', async ({ page }) => {
  test.skip(!OIDC_URL, 'needs the provider run.sh starts (OIDC_URL)');
  // With JavaScript, after hydration: the provider link still leaves the portal.
  await page.goto('/sign-in');
  await hydrated(page);
  await page.getByRole('link', { name: 'Sign in with Acme ID' }).click();
  await expect(page).toHaveURL(new RegExp(`^${OIDC_URL}/interaction/`));
  await page.locator('input[name=login]').fill('sam');
  await page.locator('input[name=password]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'Sign-in failed' })).toBeVisible();
  await expect(page.getByText('spec.profile.email: sam@else.example')).toBeVisible();
});
