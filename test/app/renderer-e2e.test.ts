/**
 * The renderer end to end in real Chromium (Debian's), against the dev host started
 * in-process with fake services: the system check runs, shows its running state, its
 * providers table and its error display; the page has a CSP that holds; and no request
 * leaves loopback. Set TASKPACK_SCREENSHOT_DIR to keep screenshots.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import type { DoctorReport } from '../../src-main/ipc/contract.js';
import { openWatchedPage, skipWithoutChromium as skip, snap, useRendererHost } from './browser.js';
import { FAKE_REPORT, fakeServices } from './helpers.js';

/** Each doctor run waits for the test to settle it, so the running state can be observed. */
let pendingDoctor: { resolve(report: DoctorReport): void; reject(err: Error): void } | null = null;
const services = fakeServices({
  runDoctor: () => new Promise<DoctorReport>((resolve, reject) => (pendingDoctor = { resolve, reject })),
});

const rendererHost = useRendererHost(services);

async function settleDoctor(page: Page, outcome: DoctorReport | Error): Promise<void> {
  await page.waitForFunction(() => document.querySelector('button[aria-busy="true"]') !== null);
  for (let i = 0; !pendingDoctor && i < 100; i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(pendingDoctor, 'the page called system:doctor');
  const pending = pendingDoctor;
  pendingDoctor = null;
  if (outcome instanceof Error) pending.reject(outcome);
  else pending.resolve(outcome);
}

test('system check in Chromium: running state, providers table, error display, CSP, loopback only', { skip, timeout: 120_000 }, async () => {
  const { host, browser } = rendererHost();
  const { context, page, requests, problems, violations } = await openWatchedPage(browser);
  const response = await page.goto(host.url);
  assert.equal(response?.status(), 200);
  assert.match(response?.headers()['content-security-policy'] ?? '', /default-src 'none'; script-src 'self'/);
  assert.match((await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')) ?? '', /script-src 'self'/);

  // Header with versions from app:info; the System check section, idle.
  await page.getByText('TaskPack Studio', { exact: true }).waitFor();
  await page.getByText('v0.1.0').waitFor();
  await page.getByRole('button', { name: 'System check' }).click();
  await page.getByText('No check run yet').waitFor();
  await snap(page, '1-idle');

  // Run: a running state while the doctor works, then the providers table.
  const runButton = page.getByRole('button', { name: 'Run system check' });
  await runButton.click();
  await page.getByText('Running the self-test…').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Running…' }).isDisabled(), true);
  await snap(page, '2-running');
  await settleDoctor(page, FAKE_REPORT);

  const table = page.getByRole('table');
  await table.waitFor();
  const rows = await table.locator('tbody tr').allInnerTexts();
  assert.equal(rows.length, 2);
  assert.match(rows[0], /cpu\s+OK\s+12\.3 ms\s+3\.1 × 10⁻⁷/);
  assert.match(rows[1], /webgpu\s+Failed\s+—\s+—\s+no WebGPU adapter on this machine/);
  await page.getByText('1 of 2 providers passed').waitFor();
  assert.equal(await page.locator('dd', { hasText: '1.30.0' }).count(), 1, 'ORT version shown');
  assert.match(await page.locator('dd.gradient').innerText(), /Passed\s+2\.4 × 10⁻⁹/);
  await snap(page, '3-report');

  assert.deepEqual(problems.splice(0), [], 'no page errors or console errors so far');

  // A failing run shows a clear error in place of the table.
  await page.getByRole('button', { name: 'Run again' }).click();
  await settleDoctor(page, new Error('onnxruntime-node failed to load'));
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /could not run[\s\S]*system:doctor failed: onnxruntime-node failed to load/);
  assert.equal(await table.count(), 0);
  await snap(page, '4-error');

  // The app itself caused no CSP violation; the policy then blocks an injected inline script and a remote fetch.
  assert.deepEqual(await violations(), []);
  const probe = await page.evaluate(async () => {
    const script = document.createElement('script');
    script.textContent = 'window.__inlineRan = true';
    document.head.append(script);
    const fetched = await fetch('https://example.com/').then(() => 'fetched', () => 'blocked');
    return { inlineRan: (window as unknown as { __inlineRan?: boolean }).__inlineRan === true, fetched };
  });
  assert.deepEqual(probe, { inlineRan: false, fetched: 'blocked' });
  const blocked = await violations();
  assert.ok(blocked.some((v) => v.startsWith('script-src')), `inline script reported: ${blocked}`);
  assert.ok(blocked.some((v) => v.startsWith('connect-src')), `remote fetch reported: ${blocked}`);

  // Expected now: Chromium logs the provoked HTTP 500 and the two CSP refusals, nothing else.
  assert.deepEqual(problems.filter((p) => !/status of 500|Content Security Policy/.test(p)), []);
  assert.ok(requests.length > 0);
  assert.deepEqual(requests.filter((url) => new URL(url).hostname !== '127.0.0.1'), [], 'no request left loopback');
  await context.close();
});
