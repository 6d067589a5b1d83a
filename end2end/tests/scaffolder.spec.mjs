import { test, expect } from '@playwright/test';
import { failOnConsoleErrors, hydrated } from '../helpers.mjs';

// Creating from a template (issue 12): the gallery, the wizard (with its dry run), the
// task page kept up to date, and the new entity in the catalog — with JavaScript and
// without. The golden path "Library" publishes to the suite's GitHub stand-in
// (github/standin.mjs) and registers the repository's catalog-info.yaml from it.

failOnConsoleErrors();

/** Signs in as Ada (guest sign-in, a plain form) and comes back to `path`. */
async function signIn(page, path) {
  await page.goto(`/sign-in?return_to=${encodeURIComponent(path)}`);
  await page.getByRole('button', { name: 'Sign in as Ada Lovelace' }).click();
  await expect(page).toHaveURL(new RegExp(`${path.replace(/[?]/g, '\\?')}$`));
}

/** Fills the Library wizard: a name, the owner, and where the repository goes. */
async function fillLibrary(page, name) {
  await nameInput(page).fill(name);
  await ownerPicker(page).fill('group:default/platform');
  await page.getByRole('combobox', { name: 'Language' }).selectOption('rust');
  await page.getByRole('textbox', { name: 'Owner (organisation or user)' }).fill('acme');
  await repositoryName(page).fill(name);
}

// Labels of required fields end in a " *" that screen readers skip: find inputs by their
// accessible names.
const nameInput = (page) => page.getByRole('textbox', { name: 'Name', exact: true });
const ownerPicker = (page) => page.getByRole('combobox', { name: 'Owner', exact: true });
const repositoryName = (page) => page.getByRole('textbox', { name: 'Repository name' });

test('from the gallery through a dry run to a created repository and its catalog entity', async ({ page }) => {
  test.setTimeout(60_000);
  await signIn(page, '/create');
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Create a new service');
  const library = page.getByRole('article', { name: 'Library (golden path)' });
  await expect(library.getByText('Golden path', { exact: true })).toBeVisible();
  await library.getByRole('link', { name: 'Choose Library (golden path)' }).click();
  await expect(page).toHaveURL(/\/create\/templates\/default\/library$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Library (golden path)');
  await hydrated(page);

  // The browser checks the schema's pattern before anything is sent.
  const name = nameInput(page);
  await name.fill('Not A Name');
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/create\/templates\/default\/library$/);
  expect(await name.evaluate((input) => input.validity.patternMismatch)).toBe(true);

  // The owner picker asks the catalog as one types.
  await ownerPicker(page).pressSequentially('plat');
  const list = await ownerPicker(page).getAttribute('list');
  await expect(page.locator(`datalist#${list} option[value="group:default/platform"]`)).toHaveCount(1);

  await fillLibrary(page, 'e2e-library');
  await page.getByRole('button', { name: 'Preview (dry run)' }).click();
  const preview = page.getByRole('region', { name: 'Preview (dry run)' });
  await expect(preview.getByRole('status')).toContainText('files would be published');
  await expect(preview.getByRole('link', { name: 'catalog-info.yaml' })).toBeVisible();
  await preview.locator('summary', { hasText: 'catalog-info.yaml' }).click();
  await expect(preview.locator('details[open] pre')).toContainText('name: e2e-library');
  // What was typed is still there.
  await expect(repositoryName(page)).toHaveValue('e2e-library');

  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/create\/tasks\/[0-9a-f-]{36}$/);
  // The page follows the task by itself until it ends.
  await expect(page.getByTestId('task-status')).toHaveText('completed', { timeout: 30_000 });
  const steps = page.getByRole('region', { name: 'Steps' });
  await expect(steps.locator('.status-completed')).toHaveCount(3);
  await expect(page.getByRole('link', { name: 'Repository', exact: true })).toHaveAttribute('href', 'https://github.com/acme/e2e-library.git');
  await page.getByRole('link', { name: 'Open in catalog' }).click();
  await expect(page).toHaveURL(/\/catalog\/default\/component\/e2e-library$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('e2e-library');

  // The task is among Ada's.
  await page.goto('/create/tasks');
  await expect(page.getByRole('link', { name: 'Library (golden path)' }).first()).toBeVisible();
});

test('the wizard creates without JavaScript and the task page reloads itself until done', async ({ browser }) => {
  test.setTimeout(60_000);
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signIn(page, '/create?tag=library');
  await expect(page.getByRole('article', { name: 'Library (golden path)' })).toBeVisible();
  await expect(page.getByRole('article', { name: 'Service (golden path)' })).toHaveCount(0);
  await page.getByRole('link', { name: 'Choose Library (golden path)' }).click();
  await fillLibrary(page, 'e2e-nojs-library');
  await page.getByRole('button', { name: 'Preview (dry run)' }).click();
  // Without JavaScript the wizard runs the dry run itself, from the values in its address.
  await expect(page).toHaveURL(/\?preview=1&/);
  await expect(page.getByRole('region', { name: 'Preview (dry run)' }).getByRole('status')).toContainText('files would be published');
  await expect(repositoryName(page)).toHaveValue('e2e-nojs-library');
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/create\/tasks\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId('task-status')).toHaveText('completed', { timeout: 30_000 });
  await expect(page.getByRole('link', { name: 'Open in catalog' })).toHaveAttribute('href', '/catalog/default/component/e2e-nojs-library');
  await context.close();
});
