/**
 * The finetune wizard end to end in real Chromium against the dev host with fake services
 * (helpers.ts: a fake run moves 10 of its 40 steps per status poll): refused data shown
 * with its line, a run started with the chosen settings and the picked file's bytes, live
 * progress, loss chart, dev evaluations, the projection and the installed pack; cancel and
 * resume; earlier runs; no CSP violation (uPlot draws on a canvas) and loopback only.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openWatchedPage, skipWithoutChromium as skip, snap, useRendererHost } from './browser.js';
import { fakeServices } from './helpers.js';

const services = fakeServices();
const rendererHost = useRendererHost(services);

const tsv = (name: string, text: string) => ({ name, mimeType: 'text/tab-separated-values', buffer: Buffer.from(text) });
const REVIEWS = 'sentence\tsource\tlabel\na good film\tweb\t1\na dull film\tweb\t0\n';

test('finetune wizard in Chromium: refused data, a run with live progress, cancel and resume', { skip, timeout: 120_000 }, async () => {
  const { host, browser } = rendererHost();
  const { context, page, requests, problems, violations } = await openWatchedPage(browser);
  await page.goto(host.url);
  await page.getByRole('heading', { name: 'Finetune' }).waitFor();
  const start = page.getByRole('button', { name: 'Start training' });
  assert.equal(await start.isDisabled(), true, 'no data picked yet');

  // A generic file name suggests no task name: the user names the task before starting.
  const trainPicker = page.getByLabel(/^Training data/);
  await trainPicker.setInputFiles(tsv('train.tsv', REVIEWS));
  await page.getByText('Name the task to start').waitFor();
  assert.equal(await page.getByLabel('Task name').inputValue(), '');
  assert.equal(await start.isDisabled(), true, 'no task name yet');

  // Refused data: the importer's reason, with the file and line, as soon as it is picked.
  await trainPicker.setInputFiles(tsv('broken.tsv', 'sentence\tlabel\nbad\n'));
  assert.equal(await page.getByLabel('Task name').inputValue(), 'broken', 'named after the file');
  assert.match(await page.getByRole('alert').innerText(), /cannot be trained on[\s\S]*broken\.tsv, line 3: expected 2 tab-separated columns/);
  assert.equal(await start.isDisabled(), true);

  // A good file: how it reads, a few rows; a column choice re-reads it.
  await trainPicker.setInputFiles(tsv('reviews.tsv', REVIEWS));
  const preview = page.getByLabel('Data preview');
  await preview.getByText('2 rows, read as TSV (utf-8, with a header) · 2 classes: 0 (1), 1 (1)').waitFor();
  assert.deepEqual(await preview.locator('table.sample tbody tr').allInnerTexts(), ['a good film\t1', 'a dull film\t0']);
  await page.getByRole('combobox', { name: /^Label column/ }).selectOption('source');
  await preview.getByText('1 classes: web (2)').waitFor();
  await page.getByRole('combobox', { name: /^Label column/ }).selectOption('');
  await preview.getByText('2 classes: 0 (1), 1 (1)').waitFor();
  await page.getByRole('combobox', { name: /^Task type/ }).selectOption('classification');
  await page.getByLabel('Task name').fill('reviews');
  await page.getByRole('combobox', { name: /^Method/ }).selectOption('diff');
  await page.getByLabel(/^Nonzeros of the diff/).fill('1');
  await page.getByLabel('Epochs per phase').fill('2');
  await page.getByLabel('File layout').selectOption('SST-2');
  await page.getByLabel('Base model').selectOption({ label: 'bert-mini (11.2 M)' });
  const memory = page.getByLabel('Memory estimate');
  await memory.getByText(/^Estimated peak memory: 572\.2 MiB \(.+ free now\)\.$/).waitFor();
  await page.getByRole('combobox', { name: /^Method/ }).selectOption('full');
  await page.getByRole('alert').getByText(/This run needs about 1024\.0 TiB of memory at its peak, more than the .+ free now/).waitFor();
  await page.getByRole('combobox', { name: /^Method/ }).selectOption('diff');
  await page.getByLabel('Run on').selectOption('webgpu');
  await memory.waitFor({ state: 'detached' }); // the CPU's estimate
  await start.click();

  const run = page.getByLabel('Training run');
  await run.getByText('Done').waitFor();
  const sent = services.started[0];
  assert.deepEqual({ ...sent, train: { fileName: sent.train.fileName, text: Buffer.from(sent.train.bytes).toString() } }, {
    taskName: 'reviews', train: { fileName: 'reviews.tsv', text: REVIEWS }, method: 'diff', sparsity: 0.01, epochs: 2, seed: 1, glue: 'SST-2', taskType: 'classification',
    baseId: 'bert-mini', provider: 'webgpu',
  });
  assert.match(await run.innerText(), /reviews · diff[\s\S]*900 training rows, 100 dev · cpu/);
  assert.match(await run.innerText(), /Step 40 of 40 · fixed mask phase, epoch 2 · loss 0\.1400/);
  assert.equal(await run.locator('canvas').count() > 0, true, 'the loss chart');
  const evals = await run.locator('table.evals tbody tr').allInnerTexts();
  assert.deepEqual(evals.map((r) => r.replace(/\s+/g, ' ').trim()), ['L0 gates phase 20 accuracy 81.0 52,000', 'fixed mask phase 40 accuracy 84.2 34,879']);
  assert.match(await run.innerText(), /Projection: 52,000 of 6,975,744 parameters were nonzero after the gates \(0\.75 %\); kept 34,879\./);
  assert.match(await run.innerText(), /Task pack installed: 104\.8 KiB, 34,879 nonzeros, dev accuracy 84\.2/);
  await snap(page, 'finetune-1-done');

  // The sparsity explorer on the finished diff run: bad targets refused, then two points, one installed.
  const explorer = run.getByLabel('Sparsity explorer');
  await explorer.getByLabel(/^Sparsities/).fill('0, 200');
  await explorer.getByRole('button', { name: 'Explore' }).click();
  assert.match(await page.getByRole('alert').innerText(), /Give 1 to 8 sparsities in percent/);
  await explorer.getByLabel(/^Sparsities/).fill('0.5, 1');
  await explorer.getByRole('button', { name: 'Explore' }).click();
  const points = explorer.locator('table.explored tbody tr');
  await points.nth(1).waitFor();
  assert.deepEqual((await points.allInnerTexts()).map((r) => r.replace(/\s+/g, ' ').trim()), [
    '0.50 % 34,879 119.2 KiB accuracy 80.0 Install', '1.00 % 69,758 238.4 KiB accuracy 81.0 Install',
  ]);
  await points.nth(1).getByRole('button', { name: 'Install' }).click();
  await points.nth(1).getByText('installed').waitFor();
  assert.equal(services.packs.at(-1)?.nnz, 69_758);
  await snap(page, 'finetune-explorer');

  // The finished run's pack is on the Task packs page.
  await page.getByRole('button', { name: 'Task packs' }).click();
  const packRows = page.locator('table.data tbody tr', { hasText: 'reviews' });
  await packRows.first().waitFor();
  assert.equal(await packRows.count(), 2, 'the run\'s pack and the explored one');
  await page.getByRole('button', { name: 'Finetune' }).click();

  // A second run, cancelled while it runs, then resumed to the end.
  await trainPicker.setInputFiles(tsv('reviews.tsv', REVIEWS));
  await preview.getByText(/^2 rows/).waitFor();
  await page.getByLabel('Task name').fill('reviews again');
  await start.click();
  await run.getByText(/Step (10|20) of 40/).waitFor();
  await run.getByRole('button', { name: 'Cancel' }).click();
  await run.getByText('Cancelled').waitFor();
  const resume = run.getByRole('button', { name: /^Resume from step (10|20|30)$/ });
  await resume.click();
  await run.getByText('Done').waitFor();
  assert.match(await run.innerText(), /reviews again/);
  assert.equal(services.packs.length, 3, 'two runs and an explored point');

  // The first run is listed below, and can be shown again.
  const earlier = page.locator('.earlier tbody tr');
  assert.equal(await earlier.count(), 1);
  await earlier.getByRole('button', { name: 'Show' }).click();
  // Wait for the swap itself: the card's title matches both runs, the earlier list names only the other.
  await earlier.filter({ hasText: 'reviews again' }).waitFor();
  await snap(page, 'finetune-2-earlier');

  // The other run, now listed, shows its bytes on disk and can be removed, after a confirmation.
  assert.match(await earlier.innerText(), /reviews again[\s\S]*1\.18 MiB/);
  page.once('dialog', (d) => void d.accept());
  await earlier.getByRole('button', { name: 'Remove' }).click();
  await page.locator('.earlier').waitFor({ state: 'detached' });
  assert.equal(services.runs.size, 1, 'the removed run is gone from the services');

  assert.deepEqual(await violations(), [], 'no CSP violation');
  assert.deepEqual(problems.filter((p) => !/status of 500/.test(p)), []);
  assert.deepEqual(requests.filter((url) => new URL(url).hostname !== '127.0.0.1'), [], 'no request left loopback');
  await context.close();
});
