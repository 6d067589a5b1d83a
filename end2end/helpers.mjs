// Shared by every browser test file.
import { test, expect } from '@playwright/test';

/**
 * Fails each test of the file on any console error or uncaught exception (CSP violations
 * and hydration errors show up there). The browser logs a missing page's 404 status
 * itself; tests whose title mentions 404 expect that one.
 */
export function failOnConsoleErrors() {
  test.beforeEach(async ({ page }, testInfo) => {
    const problems = [];
    page.on('console', (msg) => { if (msg.type() === 'error') problems.push(msg.text()); });
    page.on('pageerror', (err) => problems.push(String(err)));
    testInfo.problems = problems;
  });
  test.afterEach(async ({}, testInfo) => {
    const expected = testInfo.title.includes('404') ? /status of 404/ : null;
    const problems = testInfo.problems.filter((p) => !(expected && expected.test(p)));
    expect(problems, 'browser console errors').toEqual([]);
  });
}

/** Waits until the WebAssembly bundle has loaded and hydrated the page. */
export async function hydrated(page) {
  await page.waitForFunction(() => performance.getEntriesByType('resource')
    .some((r) => r.name.endsWith('.wasm') && r.responseEnd > 0));
  // hydrate() runs right after the wasm is instantiated.
  await page.waitForTimeout(300);
}
