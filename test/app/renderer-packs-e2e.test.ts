/**
 * The task-pack pages end to end in real Chromium against the dev host with fake services
 * (helpers.ts): install from a file (a bad one refused with its reason), activate, predict
 * one text, a text pair and a whole file with progress, compare storage, remove; no CSP
 * violation, no page error, no request off loopback. The services themselves are tested on
 * real packs in test/infer/pack-services.test.ts.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { openWatchedPage, skipWithoutChromium as skip, snap, useRendererHost } from './browser.js';
import { FAKE_PACK, fakeServices } from './helpers.js';

const services = fakeServices();
const rendererHost = useRendererHost(services);

const file = (name: string, text: string) => ({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(text) });
const PAIR_PACK = { id: 'fedcba9876543210', name: 'sts-b similarity', type: 'regression', labels: [], inputColumns: ['sentence1', 'sentence2'], method: 'diff', devMetrics: { pearson: 0.816 } };

test('task packs in Chromium: install, activate, predict a text, a pair and a file, storage, remove', { skip, timeout: 120_000 }, async () => {
  const { host, browser } = rendererHost();
  const { context, page, requests, problems, violations } = await openWatchedPage(browser);
  page.on('dialog', (dialog) => void dialog.accept());
  await page.goto(host.url);

  await page.getByRole('button', { name: 'Task packs' }).click();
  await page.getByRole('heading', { name: 'Task packs' }).waitFor();
  await page.getByText('No task packs installed').waitFor();
  await snap(page, 'packs-1-empty');

  // A file that is not a pack: the reason, and nothing installed.
  const picker = page.getByLabel('Task pack file');
  await picker.setInputFiles(file('notes.taskpack', 'not a pack'));
  assert.match(await page.getByRole('alert').innerText(), /notes\.taskpack is not a usable task pack: not a task pack \(BAD_MAGIC\)/);
  assert.equal(services.packs.length, 0);

  await picker.setInputFiles(file('sst2.taskpack', JSON.stringify({})));
  await page.getByText('Installed “sst2 sentiment”.').waitFor();
  await picker.setInputFiles(file('stsb.taskpack', JSON.stringify(PAIR_PACK)));
  await page.getByText('Installed “sts-b similarity”.').waitFor();
  const rows = page.locator('table.data tbody tr');
  assert.equal(await rows.count(), 2);
  assert.match(await rows.nth(0).innerText(), /sst2 sentiment[\s\S]*0123456789abcdef · negative \/ positive[\s\S]*diff-structured\s+34,879 nonzeros\s+104\.8 KiB\s+accuracy 85\.2/);
  assert.match(await rows.nth(1).innerText(), /sts-b similarity[\s\S]*regression[\s\S]*pearson 81\.6/);

  await rows.nth(0).getByRole('button', { name: 'Activate' }).click();
  await page.getByText(/is active on use-lite-en: swapped in 1\.25 ms \(first use/).waitFor();
  assert.equal(services.active, FAKE_PACK.id);
  assert.equal(await rows.nth(0).getByRole('button', { name: 'Active' }).isDisabled(), true);
  await snap(page, 'packs-2-installed');

  // Export: the installed file as a download.
  const [exported] = await Promise.all([page.waitForEvent('download'), rows.nth(0).getByRole('button', { name: 'Export' }).click()]);
  assert.equal(exported.suggestedFilename(), 'sst2-sentiment.taskpack');
  assert.equal(JSON.parse((await readFile(await exported.path())).toString('utf8')).id, FAKE_PACK.id);

  // Predict: the active pack is preselected; a single-text pack has no second field.
  await page.getByRole('button', { name: 'Predict', exact: true }).click();
  await page.getByRole('heading', { name: 'Predict' }).waitFor();
  assert.equal(await page.getByLabel('Task pack').inputValue(), FAKE_PACK.id);
  assert.equal(await page.getByLabel('sentence2').count(), 0);
  const predict = page.locator('form').getByRole('button', { name: 'Predict', exact: true });
  assert.equal(await predict.isDisabled(), true, 'nothing typed yet');
  await page.getByLabel('sentence').fill('a good film');
  await predict.click();
  await page.getByText('Prediction: positive').waitFor();
  assert.match(await page.getByRole('list', { name: 'Class probabilities' }).innerText(), /negative\s+10\.0 %\s+positive\s+90\.0 %/);
  await snap(page, 'predict-1-text');

  // A whole file, in chunks: every row counted, the first 200 shown.
  const lines = Array.from({ length: 300 }, (_, i) => (i % 2 ? `row ${i} is good` : `row ${i} is dull`));
  await page.getByLabel('Text file to predict').setInputFiles(file('reviews.txt', `${lines.join('\n')}\n\n`));
  await page.getByText('reviews.txt: 300 of 300 rows done').waitFor();
  await page.getByText('negative: 150 · positive: 150').waitFor();
  assert.equal(await page.locator('table.data tbody tr').count(), 200);
  await page.getByText('The first 200 rows are shown').waitFor();
  // Every row's prediction saved as TSV through a download (no path crosses to the page).
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Save results…' }).click()]);
  assert.equal(download.suggestedFilename(), 'reviews-predictions.tsv');
  const saved = (await readFile(await download.path())).toString('utf8').trimEnd().split('\n');
  assert.equal(saved.length, 301);
  assert.equal(saved[0], 'text\tlabel\tp_negative\tp_positive');
  assert.equal(saved[2], 'row 1 is good\tpositive\t0.100000\t0.900000');
  assert.equal(saved[300], 'row 299 is good\tpositive\t0.100000\t0.900000');
  await snap(page, 'predict-2-file');

  // Evaluate on a labelled file: its metrics (the fake predicts 'positive' for "good").
  await page.getByLabel('Labelled file to evaluate on').setInputFiles(file('dev.tsv', 'sentence\tlabel\na good one\tpositive\nmeh\tpositive\nbad\tnegative\ngood\tnegative\n'));
  await page.getByText('dev.tsv: 4 labelled rows · accuracy 50.0').waitFor();

  // The text-pair regression pack: both texts required, a score back; it becomes the active one.
  await page.getByLabel('Task pack').selectOption(PAIR_PACK.id);
  await page.getByLabel('sentence1').fill('A man plays a guitar.');
  assert.equal(await predict.isDisabled(), true, 'the second text is required');
  await page.getByLabel('sentence2').fill('Someone plays music.');
  await predict.click();
  await page.getByText('Score: 2.1000').waitFor();
  assert.equal(services.active, PAIR_PACK.id);

  // Storage: per task, its pack measured and a full copy estimated, for 10 tasks, then 5.
  await page.getByRole('button', { name: 'Storage' }).click();
  const sst2 = page.getByRole('article', { name: 'Task “sst2 sentiment”' });
  await sst2.getByText('10 tasks in all').waitFor();
  assert.equal(await page.getByRole('article').count(), 2, 'one card per task');
  const storageRows = sst2.locator('table.data tbody tr');
  assert.equal(await storageRows.count(), 2);
  assert.match(await storageRows.nth(0).innerText(), /diff-structured\s+—\s+104\.8 KiB\s+27\.6 MiB\s+85\.2\s+measured · on the frontier/);
  assert.equal(await sst2.locator('g.point.measured.on-frontier').count(), 1);
  assert.equal(await sst2.locator('g.point.estimated').count(), 1);
  await page.getByRole('spinbutton', { name: 'Tasks' }).fill('5');
  await page.getByRole('button', { name: 'Compare' }).click();
  await sst2.getByText('5 tasks in all').waitFor();
  assert.match(await storageRows.nth(1).innerText(), /full\s+—\s+26\.6 MiB\s+133\.1 MiB\s+—\s+estimated — not trained/);
  await snap(page, 'storage');

  // Back to the packs: the pair pack is active now; remove the other one.
  await page.getByRole('button', { name: 'Task packs' }).click();
  assert.match(await rows.nth(1).innerText(), /sts-b similarity\s*active/);
  await rows.nth(0).getByRole('button', { name: 'Remove' }).click();
  await page.getByText('Removed “sst2 sentiment”.').waitFor();
  assert.equal(await rows.count(), 1);
  assert.deepEqual(services.packs.map((p) => p.id), [PAIR_PACK.id]);

  assert.deepEqual(await violations(), [], 'no CSP violation (the bars are styled through the CSSOM)');
  assert.deepEqual(problems.filter((p) => !/status of 500/.test(p)), []);
  assert.deepEqual(requests.filter((url) => new URL(url).hostname !== '127.0.0.1'), [], 'no request left loopback');
  await context.close();
});
