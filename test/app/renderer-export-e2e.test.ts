/**
 * Model export from the Task packs page in real Chromium, through the real services (the
 * pack-host worker exports, the dev host serves the zip once): a pack on the committed tiny
 * BERT exported as ONNX and as Hugging Face safetensors, each download unzipped and checked
 * as test/export/ checks the CLI's folders (a fresh onnxruntime session; Python's reader)
 * against the app's own logits; the link works once; safetensors for a pack on the shipped
 * (non-BERT) base is refused with the reason on the page.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createAppServices } from '../../src-main/app-services.js';
import { loadBase } from '../../src-main/model/registry.js';
import { PackStore } from '../../src-main/packs/store.js';
import { appScores, exportedLogits, hasPython, maxAbsDiff, packFor, pythonLogits, ROWS } from '../../support/export-fixtures.js';
import { tinyBert } from '../../support/trainer-fixtures.js';
import { exportFromPage, openWatchedPage, skipWithoutChromium as skip, snap, useRendererHost } from './browser.js';

const { home } = tinyBert(mkdtempSync(join(tmpdir(), 'taskpack-export-e2e-')));
const store = new PackStore(home);
const bertPack = packFor(loadBase(home, 'tiny'), { name: 'nli on tiny bert', type: 'classification', labels: ['entailment', 'neutral', 'contradiction'], pair: true, encoding: 'int8', seed: 5 });
const usePack = packFor(loadBase(home), { name: 'sentiment on use-lite', type: 'classification', labels: ['negative', 'positive'], pair: false, encoding: 'float32', seed: 6 });
const bertId = store.install(bertPack).entry.id;
store.install(usePack);
const services = createAppServices(home);
const rendererHost = useRendererHost(services);

test('Task packs page: a tiny-BERT pack exported as ONNX and as safetensors, downloads verified; safetensors refused for the shipped base', { skip, timeout: 300_000 }, async () => {
  const { host, browser } = rendererHost();
  const { context, page, requests, problems, violations } = await openWatchedPage(browser);
  await page.goto(host.url);
  await page.getByRole('button', { name: 'Task packs' }).click();
  await page.getByRole('heading', { name: 'Task packs' }).waitFor();
  const app = await appScores(home, bertPack, ROWS);

  await page.locator('table.data tbody tr', { hasText: 'nli on tiny bert' }).getByText('Export model').click();
  await snap(page, 'export-1-menu');
  await page.locator('table.data tbody tr', { hasText: 'nli on tiny bert' }).getByText('Export model').click(); // closes the menu again

  const onnx = await exportFromPage(page, 'nli on tiny bert', 'ONNX (.zip)');
  assert.equal(onnx.fileName, 'nli-on-tiny-bert-onnx.zip');
  await page.getByText(/Exported nli-on-tiny-bert-onnx\.zip \(/).waitFor();
  await snap(page, 'export-2-onnx-done');
  const got = await exportedLogits(onnx.dir, app.base, app.task, app.maxLength);
  assert.deepEqual(got.inputs, ['input_ids', 'attention_mask', 'token_type_ids']);
  assert.ok(maxAbsDiff(got.logits, app.scores) <= 1e-5, `ONNX download: max |Δlogit| ${maxAbsDiff(got.logits, app.scores)}`);
  // The link was good for one download only.
  assert.equal((await page.request.get(new URL(onnx.url, host.url).href)).status(), 404);

  const st = await exportFromPage(page, 'nli on tiny bert', 'Hugging Face safetensors (.zip)');
  assert.equal(st.fileName, 'nli-on-tiny-bert-safetensors.zip');
  const config = JSON.parse(readFileSync(join(st.dir, 'config.json'), 'utf8'));
  assert.deepEqual(config.architectures, ['BertForSequenceClassification']);
  assert.deepEqual(config.id2label, { 0: 'entailment', 1: 'neutral', 2: 'contradiction' });
  if (hasPython('numpy')) { // else reported as skipped by test/export/export-model.test.ts
    const py = pythonLogits(st.dir, 'numpy', app.maxLength, app.task.pair);
    assert.ok(maxAbsDiff(py.logits.flat(), app.scores) <= 1e-4, `safetensors download: max |Δlogit| ${maxAbsDiff(py.logits.flat(), app.scores)}`);
  }

  // A pack on the shipped USE-lite base: ONNX only, said on the page.
  const useRow = page.locator('table.data tbody tr', { hasText: 'sentiment on use-lite' });
  await useRow.getByText('Export model').click();
  await useRow.getByRole('button', { name: 'Hugging Face safetensors (.zip)' }).click();
  assert.match(await page.getByRole('alert').innerText(), /base 'use-lite-en' is use-lite: safetensors export writes Hugging Face BERT folders only \(export it as ONNX\)/);
  await snap(page, 'export-3-refused');

  assert.equal(bertId.length, 16);
  assert.deepEqual(problems.filter((p) => !/status of 500/.test(p)), [], 'only the refused export answered 500');
  assert.deepEqual(await violations(), []);
  assert.deepEqual(requests.filter((u) => !u.startsWith(host.url.split('/#')[0])), []);
  await context.close();
  await services.close?.();
});
