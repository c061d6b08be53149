/**
 * A user's whole path with their own BERT, in real Chromium through the real services: the
 * committed tiny BERT's folder imported on the Bases page, chosen in the finetune wizard
 * (whose base list follows the import) and a diff-pruning pack trained on it for real, the
 * pack's heatmap on the Task packs page (its cells add up to the pack's nonzeros), and the
 * pack exported as ONNX and as Hugging Face safetensors, both checked against the app's logits.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createAppServices } from '../../src-main/app-services.js';
import { PackStore } from '../../src-main/packs/store.js';
import { appScores, exportedLogits, hasPython, maxAbsDiff, pythonLogits, ROWS } from '../../support/export-fixtures.js';
import { tinyBertDir, writeSyntheticSentiment } from '../../support/trainer-fixtures.js';
import { exportFromPage, openWatchedPage, skipWithoutChromium as skip, snap, useRendererHost } from './browser.js';

const home = mkdtempSync(join(tmpdir(), 'taskpack-journey-e2e-'));
const services = createAppServices(home);
const rendererHost = useRendererHost(services);
const fixture = (name: string) => ({ name, mimeType: 'application/octet-stream', buffer: readFileSync(join(tinyBertDir(), name)) });

test('own BERT: imported in the page, a pack trained on it, its heatmap, exported in both formats', { skip, timeout: 900_000 }, async () => {
  const { host, browser } = rendererHost();
  const { context, page, requests, problems, violations } = await openWatchedPage(browser);
  await page.goto(host.url);

  await page.getByRole('button', { name: 'Bases' }).click();
  await page.getByLabel('Base id').fill('tiny');
  await page.getByLabel('Base folder files').setInputFiles(['config.json', 'model.safetensors', 'vocab.txt'].map(fixture));
  await page.getByText(/Imported “tiny” \(2 layers/).waitFor({ timeout: 60_000 });

  await page.getByRole('button', { name: 'Finetune' }).click();
  const data = writeSyntheticSentiment(mkdtempSync(join(tmpdir(), 'taskpack-journey-data-')), 'reviews.tsv', 240, 3);
  await page.getByLabel(/^Training data/).setInputFiles(data);
  await page.getByLabel('Data preview').getByText(/^240 rows/).waitFor();
  await page.getByLabel('Task name').fill('journey');
  await page.getByRole('combobox', { name: /^Method/ }).selectOption('diff-structured');
  await page.getByLabel('Epochs per phase').fill('1');
  await page.getByLabel('Base model').selectOption('tiny'); // listed without a reload
  await page.getByRole('button', { name: 'Start training' }).click();
  const run = page.getByLabel('Training run');
  await run.getByText(/Task pack installed/).waitFor({ timeout: 600_000 });
  await snap(page, 'journey-1-trained');

  const entry = new PackStore(home).list().find((p) => p.task.name === 'journey');
  assert.ok(entry, 'the run installed its pack');
  assert.equal(entry.base.id, 'tiny');
  await page.getByRole('button', { name: 'Task packs' }).click();
  await page.locator('table.data tbody tr', { hasText: 'journey' }).getByRole('button', { name: 'Anatomy' }).click();
  const heatmap = page.getByRole('table', { name: 'Where the nonzeros sit' });
  await heatmap.waitFor();
  const counts = (await heatmap.locator('tbody td').allInnerTexts()).map((s) => s.trim()).filter((s) => /^[\d,]+$/.test(s));
  assert.equal(counts.reduce((a, s) => a + Number(s.replaceAll(',', '')), 0), entry.nnz, 'the heatmap holds every nonzero of the pack');
  await snap(page, 'journey-2-heatmap');

  const app = await appScores(home, new PackStore(home).read(entry.id).bytes, ROWS.map(({ text }) => ({ text })));
  const onnx = await exportFromPage(page, 'journey', 'ONNX (.zip)');
  const got = await exportedLogits(onnx.dir, app.base, app.task, app.maxLength);
  assert.ok(maxAbsDiff(got.logits, app.scores) <= 1e-5, `ONNX: max |Δlogit| ${maxAbsDiff(got.logits, app.scores)}`);
  const st = await exportFromPage(page, 'journey', 'Hugging Face safetensors (.zip)');
  assert.deepEqual(JSON.parse(readFileSync(join(st.dir, 'config.json'), 'utf8')).architectures, ['BertForSequenceClassification']);
  if (hasPython('numpy')) {
    const py = pythonLogits(st.dir, 'numpy', app.maxLength, false);
    assert.ok(maxAbsDiff(py.logits.flat(), app.scores) <= 1e-4, `safetensors: max |Δlogit| ${maxAbsDiff(py.logits.flat(), app.scores)}`);
  }
  await snap(page, 'journey-3-exported');

  assert.deepEqual(problems, []);
  assert.deepEqual(await violations(), []);
  assert.deepEqual(requests.filter((u) => !u.startsWith(host.url.split('/#')[0])), []);
  await context.close();
  await services.close?.();
});
