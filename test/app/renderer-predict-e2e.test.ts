/**
 * The Predict page's state outlives a page switch (App.svelte owns it): a file prediction
 * running when the user goes to another page keeps going, and its results, the typed text
 * and the chosen GLUE layout are there on return; Evaluate hands that layout to the service.
 * Real Chromium against the dev host with fake services whose predictions wait on a gate.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PredictInput } from '../../src-main/ipc/contract.js';
import { openWatchedPage, skipWithoutChromium as skip, snap, useRendererHost } from './browser.js';
import { FAKE_PACK, fakeServices } from './helpers.js';

const services = fakeServices();
services.packs.push(FAKE_PACK);
// The first chunk answers at once; the others wait until the test opens the gate.
let open!: () => void;
const gate = new Promise<void>((resolve) => (open = resolve));
const chunks: number[] = [];
const evaluated: (string | undefined)[] = [];
const predict = services.predict.bind(services);
services.predict = async (id: string, inputs: PredictInput[]) => {
  if (chunks.push(inputs.length) > 1) await gate;
  return predict(id, inputs);
};
const evaluate = services.evaluatePack.bind(services);
services.evaluatePack = async (id, file, glue) => {
  evaluated.push(glue);
  return evaluate(id, file);
};
const rendererHost = useRendererHost(services);

const file = (name: string, text: string) => ({ name, mimeType: 'text/plain', buffer: Buffer.from(text) });

test('predict in Chromium: a page switch keeps a running file prediction, its results and the form; Evaluate takes a GLUE layout', { skip, timeout: 120_000 }, async () => {
  const { host, browser } = rendererHost();
  const { context, page, problems, violations } = await openWatchedPage(browser);
  await page.goto(host.url);
  await page.getByRole('button', { name: 'Predict', exact: true }).click();
  await page.getByLabel('sentence').fill('typed before leaving');
  await page.getByLabel('Labelled file layout').selectOption('SST-2');

  const lines = Array.from({ length: 600 }, (_, i) => (i % 3 ? `row ${i} is good` : `row ${i} is dull`));
  await page.getByLabel('Text file to predict').setInputFiles(file('reviews.txt', `${lines.join('\n')}\n`));
  await page.getByText('reviews.txt: 128 of 600 rows …').waitFor();

  // Away while the rest is pending; the loop finishes meanwhile.
  await page.getByRole('button', { name: 'Storage' }).click();
  await page.getByRole('heading', { name: 'Storage cost' }).waitFor();
  open();
  while (chunks.reduce((a, b) => a + b, 0) < 600) await new Promise((r) => setTimeout(r, 20));

  await page.getByRole('button', { name: 'Predict', exact: true }).click();
  await page.getByText('reviews.txt: 600 of 600 rows done').waitFor();
  await page.getByText('negative: 200 · positive: 400').waitFor();
  assert.equal(await page.locator('table.data tbody tr').count(), 200);
  assert.equal(await page.getByLabel('sentence').inputValue(), 'typed before leaving');
  assert.equal(await page.getByLabel('Labelled file layout').inputValue(), 'SST-2');
  assert.deepEqual(chunks, [128, 128, 128, 128, 88], 'every chunk predicted once');
  await snap(page, 'predict-3-after-page-switch');

  // Evaluate sends the chosen layout; back to detection sends none.
  const labelled = file('dev.tsv', 'sentence\tlabel\na good one\tpositive\nbad\tnegative\n');
  await page.getByLabel('Labelled file to evaluate on').setInputFiles(labelled);
  await page.getByText('dev.tsv: 2 labelled rows · accuracy 100.0').waitFor();
  await page.getByLabel('Labelled file layout').selectOption('');
  await page.getByLabel('Labelled file to evaluate on').setInputFiles({ ...labelled, name: 'dev2.tsv' });
  await page.getByText('dev2.tsv: 2 labelled rows').waitFor();
  assert.deepEqual(evaluated, ['SST-2', undefined]);

  assert.deepEqual(await violations(), []);
  assert.deepEqual(problems, []);
  await context.close();
});
