/**
 * The finetune wizard with a real-size file in real Chromium: the whole SST-2 training set
 * (3.8 MB, 67,349 rows, from ../shared/data) or, where that is absent, a generated 5 MB
 * file, read by the real data importer (in the pack-host worker, as `taskpack serve` does)
 * and handed whole to train:start. A run is not trained here (the services' training is
 * the fake's); the point is that no channel refuses a real file on its size.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createAppServices } from '../../src-main/app-services.js';
import { dataPath } from '../../support/real-data.js';
import { openWatchedPage, skipWithoutChromium as skip, snap, useRendererHost } from './browser.js';
import { fakeServices } from './helpers.js';

const home = mkdtempSync(join(tmpdir(), 'taskpack-large-file-'));
const real = createAppServices(home);
const services = fakeServices();
services.inspectData = real.inspectData;
const rendererHost = useRendererHost(services);
after(async () => {
  await real.close?.();
  rmSync(home, { recursive: true, force: true });
});

/** SST-2's training set where present; else 5 MB of reviews in its layout, seeded. */
function trainingFile(): { name: string; buffer: Buffer } {
  const sst2 = dataPath('glue/SST-2/train.tsv');
  if (existsSync(sst2)) return { name: 'train.tsv', buffer: readFileSync(sst2) };
  const words = ['a', 'good', 'dull', 'film', 'with', 'moments', 'of', 'grace', 'and', 'tedium', 'never', 'quite', 'works'];
  const lines = ['sentence\tlabel'];
  let state = 7, size = 0;
  const next = () => (state = (state * 48271) % 2147483647);
  while (size < 5 * 2 ** 20) {
    const line = `${Array.from({ length: 8 + (next() % 30) }, () => words[next() % words.length]).join(' ')} \t${next() % 2}`;
    lines.push(line);
    size += line.length + 1;
  }
  return { name: 'generated.tsv', buffer: Buffer.from(lines.join('\n') + '\n') };
}

test('finetune wizard in Chromium reads a multi-megabyte file and hands it to training whole', { skip, timeout: 180_000 }, async () => {
  const file = trainingFile();
  assert.ok(file.buffer.length > 3 * 2 ** 20, 'a real-size file');
  // The counts the preview should show, counted here independently of the importer.
  const rows = file.buffer.toString('utf8').trimEnd().split('\n').slice(1).map((l) => l.split('\t'));
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r[1], (counts.get(r[1]) ?? 0) + 1);
  const n = (x: number) => x.toLocaleString('en');

  const { host, browser } = rendererHost();
  const { context, page, problems, violations } = await openWatchedPage(browser);
  await page.goto(host.url);
  await page.getByRole('heading', { name: 'Finetune' }).waitFor();
  await page.getByLabel(/^Training data/).setInputFiles({ ...file, mimeType: 'text/tab-separated-values' });
  const preview = page.getByLabel('Data preview');
  const classes = [...counts].sort().map(([label, c]) => `${label} (${n(c)})`).join(', ');
  await preview.getByText(`${n(rows.length)} rows, read as TSV (utf-8, with a header) · 2 classes: ${classes}`).waitFor({ timeout: 120_000 });
  assert.equal((await preview.locator('table.sample tbody tr').allInnerTexts()).length, 5, 'a few rows shown');
  await snap(page, 'finetune-large-file-preview');

  const start = page.getByRole('button', { name: 'Start training' });
  if (file.name === 'train.tsv') { // SST-2's file: a generic name suggests no task name
    assert.equal(await start.isDisabled(), true, 'the task is named first');
    await page.getByLabel('Task name').fill('SST-2');
  }
  assert.equal(await start.isDisabled(), false);
  await start.click();
  await page.getByLabel('Training run').getByText('Done').waitFor({ timeout: 60_000 });
  assert.equal(Buffer.compare(Buffer.from(services.started[0].train.bytes), file.buffer), 0, 'the file reached training byte for byte');

  assert.deepEqual(await violations(), [], 'no CSP violation');
  assert.deepEqual(problems, []);
  await context.close();
});
