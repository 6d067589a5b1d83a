import { test, expect } from '@playwright/test';
import { failOnConsoleErrors, hydrated } from '../helpers.mjs';

// The "Application spec" page (issue 4): editor, live preview, errors with paths,
// environment differences and the zip download — with and without JavaScript.

failOnConsoleErrors();

const yaml = (page) => page.getByLabel('Application spec (YAML)');
const fileList = (page) => page.getByRole('navigation', { name: 'Rendered files' });

test('the page renders the example on the server, before any script runs', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const response = await page.goto('/create/application');
  expect(response.status()).toBe(200);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Application spec');
  await expect(yaml(page)).toHaveValue(/name: orders-api/);
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('orders-api');
  await expect(page.locator('.app-spec-status')).toContainText('manifests pass the policies');
  await expect(fileList(page).getByRole('button', { name: 'Dockerfile', exact: true })).toBeVisible();
  await expect(page.locator('#app-spec-file-heading')).toHaveText('deploy/k8s/base/deployment.yaml');
  await expect(page.getByRole('heading', { name: 'Differences between environments' })).toBeVisible();
  await expect(page.locator('.app-spec-diff pre').first()).toContainText('production');
  // The download is a plain form posting the spec to the REST API.
  const download = page.locator('form.app-spec-download');
  await expect(download).toHaveAttribute('method', 'post');
  await expect(download).toHaveAttribute('action', '/api/render?format=zip');
  await expect(download.locator('input[name="spec"]')).toHaveValue(/orders-api/);
  await context.close();
});

test('without JavaScript the form applies fields, renders, picks files and reports errors', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/create/application');
  await page.getByLabel('Name', { exact: true }).fill('billing');
  await page.getByRole('button', { name: 'Apply form to YAML' }).click();
  await expect(yaml(page)).toHaveValue(/name: billing/);
  await expect(page.locator('.app-spec-status')).toContainText('manifests pass');

  await fileList(page).getByRole('button', { name: 'Dockerfile', exact: true }).click();
  await expect(page.locator('#app-spec-file-heading')).toHaveText('Dockerfile');
  await expect(page.locator('.app-spec-file pre')).toContainText('FROM');

  await page.getByLabel('Min replicas').fill('50');
  await page.getByRole('button', { name: 'Apply form to YAML' }).click();
  await expect(page.locator('.app-spec-errors')).toContainText('spec.scaling.min_replicas');
  await context.close();
});

test('the download form returns a zip', async ({ page }) => {
  await page.goto('/create/application');
  await hydrated(page);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download the rendered files (.zip)' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('orders-api.zip');
});

test('editing the form changes the YAML and the preview', async ({ page }) => {
  await page.goto('/create/application');
  await hydrated(page);
  await expect(fileList(page).getByRole('button', { name: /virtualservice/ })).toHaveCount(0);
  await page.getByLabel('Service mesh').focus();
  await page.getByLabel('Service mesh').selectOption('istio');
  await expect(yaml(page)).toHaveValue(/service_mesh: istio/);
  // The form edits the text: the example's comment stays where it was.
  await expect(yaml(page)).toHaveValue(/system: checkout\n  # Edit here or through the form: comments and the order of keys are kept.\n  scaling:/);
  await expect(fileList(page).getByRole('button', { name: /virtualservice/ })).not.toHaveCount(0);
  // The form is rebuilt with the new preview; the keyboard focus stays where it was.
  await expect(page.getByLabel('Service mesh')).toBeFocused();

  await page.getByLabel('Name', { exact: true }).fill('payments');
  await page.getByLabel('Name', { exact: true }).press('Tab');
  await expect(yaml(page)).toHaveValue(/name: payments/);
  await expect(page.getByLabel('Team namespace')).toBeFocused();
  await fileList(page).getByRole('button', { name: 'catalog-info.yaml' }).click();
  await expect(page.locator('#app-spec-file-heading')).toHaveText('catalog-info.yaml');
  await expect(page.locator('.app-spec-file pre')).toContainText('name: payments');
});

test('typing in the YAML updates the preview; an invalid value shows its path', async ({ page }) => {
  await page.goto('/create/application');
  await hydrated(page);
  const text = await yaml(page).inputValue();
  await yaml(page).fill(text.replace('max_replicas: 10', 'max_replicas: 1'));
  await expect(page.locator('.app-spec-errors')).toContainText('spec.scaling.min_replicas');
  await expect(page.locator('.app-spec-status')).toContainText('error(s) in the spec');
  await yaml(page).fill(text);
  await expect(page.locator('.app-spec-status')).toContainText('manifests pass');
});

test('two environments can be compared', async ({ page }) => {
  await page.goto('/create/application');
  await hydrated(page);
  await page.getByLabel('From environment').selectOption('staging');
  await page.getByLabel('To environment').selectOption('production');
  const diff = page.locator('.app-spec-diff');
  await expect(diff.getByRole('heading', { level: 4 }).first()).toContainText('staging');
  await expect(diff.locator('.diff-add').first()).toBeVisible();
});

test('the Create page links to the editor', async ({ page }) => {
  await page.goto('/create');
  await hydrated(page);
  await page.getByRole('link', { name: /application spec/ }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Application spec');
  await expect(yaml(page)).toHaveValue(/orders-api/);
});
