/**
 * Embedding parity: the shipped base, converted into the store and run by ORT from the DSL
 * graph, against TF.js (pure-JS CPU kernels) executing the package's own model.json with
 * the reference tokenizer's ids, on ≥ 500 real sentences: cosine ≥ 0.99999 and
 * max |diff| ≤ 1e-4 for every one.
 *
 * Cost: TF.js's CPU kernels take ≈ 30 ms per token per core here, linear in tokens and flat
 * in batch size (measured 28.6 ms/token at batch 64, 29.9 at 16, length-sorted), so the
 * lever is tokens, not batching: CoLA dev's first 500 sentences (short, ≈ 5.4k tokens),
 * one long text past the 128-token limit, batches of 64 spread over two worker threads.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Embedder } from '../../src-main/infer/embed.js';
import { loadBase } from '../../src-main/model/registry.js';
import { needData } from '../../support/real-data.js';
import { cosine, maxAbsDiff, parallelTfjsEmbed, realTexts, referenceTokenizer } from '../../support/use-helpers.js';

const home = mkdtempSync(join(tmpdir(), 'use-embed-'));
after(() => rmSync(home, { recursive: true, force: true }));
const BATCH = 64;

test('ORT embeddings match TF.js on 500+ real sentences', { ...needData('glue/CoLA/dev.tsv', 'glue/SST-2/dev.tsv'), timeout: 600_000 }, async (t) => {
  const { cola, sst2 } = realTexts();
  const long = sst2.slice(0, 20).join(' '); // > 128 tokens: the graph keeps the first 128
  const texts = ['', ...cola.slice(0, 500), ' ', long];
  assert.ok(texts.length >= 500);

  const base = loadBase(home);
  const embedder = await Embedder.open(base, { provider: 'cpu', batchSize: BATCH });
  let started = performance.now();
  const ours = await embedder.embed(texts);
  const ortMs = performance.now() - started;
  await embedder.dispose();

  // The reference side: its own tokenizer, its own runtime, length-sorted batches.
  const tokenizer = referenceTokenizer();
  const ids = texts.map((s) => tokenizer.encode(s));
  const order = texts.map((_, i) => i).sort((a, b) => ids[a].length - ids[b].length);
  const batches: number[][] = [];
  for (let i = 0; i < order.length; i += BATCH) batches.push(order.slice(i, i + BATCH));
  started = performance.now();
  const outs = await parallelTfjsEmbed(batches.map((rows) => rows.map((r) => ids[r])));
  const reference = new Array<Float32Array>(texts.length);
  batches.forEach((rows, b) => rows.forEach((r, k) => (reference[r] = outs[b].slice(k * 512, (k + 1) * 512))));
  const tfMs = performance.now() - started;

  let worstCos = 1;
  let worstAbs = 0;
  const failures: string[] = [];
  texts.forEach((text, i) => {
    const c = cosine(ours[i], reference[i]);
    const d = maxAbsDiff(ours[i], reference[i]);
    worstCos = Math.min(worstCos, c);
    worstAbs = Math.max(worstAbs, d);
    if (!(c >= 0.99999 && d <= 1e-4)) failures.push(`#${i} ${JSON.stringify(text.slice(0, 40))}: cos ${c}, max|diff| ${d}`);
  });
  const tokens = ids.reduce((a, l) => a + Math.min(l.length, 128), 0);
  t.diagnostic(`${texts.length} texts, ${tokens} tokens; worst cosine ${worstCos.toFixed(12)}, worst max|diff| ${worstAbs.toExponential(2)}`);
  t.diagnostic(`ORT ${ortMs.toFixed(0)} ms; TF.js cpu ${tfMs.toFixed(0)} ms in ${Math.min(2, availableParallelism())} threads (${(tfMs / tokens).toFixed(1)} ms/token), batches of ${BATCH}`);
  assert.deepEqual(failures, []);
  assert.ok(ids.some((l) => l.length > 128), 'a text longer than the 128-token limit is covered');
});
