/**
 * Real Chromium (Debian's) against the dev host with the renderer built from source into a
 * scratch directory, for the end-to-end renderer tests. Pages record their requests, page
 * and console errors and CSP violations; anything not aimed at the dev host is aborted.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before } from 'node:test';
import { unzipSync } from 'fflate';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { startDevHost, type DevHost } from '../../src-main/devhost/server.js';
import { createHandlers } from '../../src-main/ipc/handlers.js';
import type { Services } from '../../src-main/ipc/services.js';
import { projectRoot } from '../../src-main/paths.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export const skipWithoutChromium = existsSync(CHROMIUM) ? false : `${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) to run the browser test`;

export interface RendererHost {
  host: DevHost;
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Start the host before this file's tests and close it after; the returned function gives
 * it to a test (undefined when Chromium is missing and the tests skip).
 */
export function useRendererHost(services: Services): () => RendererHost {
  let started: RendererHost | undefined;
  before(async () => {
    if (!skipWithoutChromium) started = await startRendererHost(services);
  });
  after(async () => {
    await started?.close();
  });
  return () => started!;
}

async function startRendererHost(services: Services): Promise<RendererHost> {
  // Build the renderer from source: the test checks what the source says.
  const workDir = mkdtempSync(join(tmpdir(), 'taskpack-renderer-'));
  await build({ configFile: join(projectRoot(), 'src-renderer', 'vite.config.ts'), logLevel: 'warn', build: { outDir: workDir, emptyOutDir: true, sourcemap: false } });
  const host = await startDevHost({ handlers: createHandlers(services), port: 0, rendererDir: workDir, downloads: services.takeDownload, uploads: services.uploadPath });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  return {
    host, browser,
    async close() {
      await browser.close();
      await host.close();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  requests: string[];
  problems: string[];
  violations(): Promise<string[]>;
}

export async function openWatchedPage(browser: Browser): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1120, height: 760 } });
  const requests: string[] = [];
  const problems: string[] = [];
  // Belt and braces: anything not aimed at the dev host is recorded and aborted.
  await context.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()));
  const page = await context.newPage();
  page.on('request', (request) => requests.push(request.url()));
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => void (msg.type() === 'error' && problems.push(`console: ${msg.text()}`)));
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const violations = () => page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations);
  return { context, page, requests, problems, violations };
}

/** Saves a full-page screenshot when TASKPACK_SCREENSHOT_DIR is set. */
export async function snap(page: Page, name: string): Promise<void> {
  const dir = process.env.TASKPACK_SCREENSHOT_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

/** Export `format` from the pack's row; the download unzipped into a folder, and the one-time URL it came from. */
export async function exportFromPage(page: Page, row: string, format: string): Promise<{ dir: string; fileName: string; url: string }> {
  const tr = page.locator('table.data tbody tr', { hasText: row });
  await tr.getByText('Export model').click();
  const [download, answer] = await Promise.all([
    page.waitForEvent('download', { timeout: 60_000 }),
    page.waitForResponse((r) => decodeURIComponent(r.url()).endsWith('/api/packs:export-model')),
    tr.getByRole('button', { name: format }).click(),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'taskpack-export-download-'));
  const entries = unzipSync(new Uint8Array(readFileSync(await download.path())));
  for (const [name, bytes] of Object.entries(entries)) {
    const path = join(dir, name.split('/').slice(1).join('/'));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
  }
  const value = (await answer.json()).value as { url: string };
  return { dir, fileName: download.suggestedFilename(), url: value.url };
}
