/**
 * BERT parity: the committed random-initialised fixtures (one safetensors F16 with the
 * real uncased vocab, one pytorch_model.bin saved by torch) are imported, loaded and run,
 * and compared with golden outputs of an independent hand-written PyTorch BERT
 * (test/reference/bert_reference.py): token ids exactly; last hidden states, pooled and
 * mean-pooled outputs within 1e-4 on ORT CPU and in the float64 DSL interpreter.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as g from '../../src-main/graph/index.js';
import type { NDArray } from '../../src-main/graph/index.js';
import { loadStoredBase } from '../../src-main/model/base-store.js';
import { importBertFolder } from '../../src-main/model/bert/import.js';
import { loadBertBase, type BertBase } from '../../src-main/model/bert/model.js';
import { paramInputs, weightFeeds } from '../../src-main/model/param-inputs.js';
import { encodeModel } from '../../src-main/onnx/writer.js';
import { openSession, type HostTensor } from '../../src-main/runtime/index.js';
import { fixturesDir } from '../../support/bert-helpers.js';

interface GoldenCase {
  name: string; pair: boolean; max_length: number; rows: { text: string; pair?: string }[];
  ids: number[][]; type_ids: number[][]; mask: number[][]; lengths: number[];
  hidden: number[][][]; pooled: number[][]; mean: number[][];
}

const home = mkdtempSync(join(tmpdir(), 'taskpack-bert-parity-'));
after(() => rmSync(home, { recursive: true, force: true }));

function graphOf(base: BertBase) {
  const params = paramInputs(base.weights);
  const x = base.inputs();
  const { hidden, pooled } = base.encoder(params.p, x);
  const mean = base.embed(params.p, x);
  return { outputs: { hidden, pooled, mean }, inputs: [...Object.values(x), ...params.created()] };
}

/** max |got − want| over the real tokens of each row. */
function worstHidden(got: ArrayLike<number>, seq: number, hidden: number, want: number[][][]): number {
  let worst = 0;
  want.forEach((rows, b) => rows.forEach((vec, s) => vec.forEach((v, k) => {
    worst = Math.max(worst, Math.abs(got[(b * seq + s) * hidden + k] - v));
  })));
  return worst;
}
const worstFlat = (got: ArrayLike<number>, want: number[][]) => want.flat().reduce((w, v, i) => Math.max(w, Math.abs(got[i] - v)), 0);

for (const fixture of ['tiny-uncased', 'tiny-torch']) {
  test(`${fixture}: imported BERT matches the PyTorch reference (ids exact; hidden, pooled, mean within 1e-4 on ORT CPU and float64)`, async (t) => {
    const res = importBertFolder(join(fixturesDir(), fixture), home);
    const base = loadBertBase(loadStoredBase(home, res.manifest.id));
    const golden = JSON.parse(readFileSync(join(fixturesDir(), `golden-${fixture}.json`), 'utf8')) as { cases: GoldenCase[] };
    const { outputs, inputs } = graphOf(base);
    const session = await openSession(encodeModel(g.lower(outputs, { inputs })).bytes, { provider: 'cpu' });
    const weights = weightFeeds(base.weights);
    const h = base.config.hidden;
    const worst: Record<string, number> = {};
    try {
      for (const c of golden.cases) {
        const feeds = base.encode(c.rows, { type: 'classification', outputs: 2, pair: c.pair }, c.max_length);
        const seq = feeds.ids.dims[1];
        assert.deepEqual([...feeds.ids.data], c.ids.flat(), `${c.name}: token ids`);
        assert.deepEqual([...feeds.typeIds.data], c.type_ids.flat(), `${c.name}: token types`);
        assert.deepEqual([...feeds.mask.data], c.mask.flat(), `${c.name}: mask`);

        const ort = await session.run({ ...feeds, ...weights });
        const nd = (t: HostTensor): NDArray => ({ dtype: t.dtype as NDArray['dtype'], shape: t.dims, data: t.data as NDArray['data'] });
        const allFeeds = Object.fromEntries(Object.entries({ ...feeds, ...weights }).map(([k, v]) => [k, nd(v)]));
        const [hid64, pool64, mean64] = g.evaluate([outputs.hidden, outputs.pooled, outputs.mean], allFeeds);
        for (const [engine, hid, pool, mean] of [
          ['ORT', ort.hidden.data, ort.pooled.data, ort.mean.data],
          ['float64', hid64.data, pool64.data, mean64.data],
        ] as const) {
          const errs = { hidden: worstHidden(hid as ArrayLike<number>, seq, h, c.hidden), pooled: worstFlat(pool as ArrayLike<number>, c.pooled), mean: worstFlat(mean as ArrayLike<number>, c.mean) };
          for (const [what, e] of Object.entries(errs)) worst[`${engine} ${what}`] = Math.max(worst[`${engine} ${what}`] ?? 0, e);
          for (const [what, e] of Object.entries(errs)) assert.ok(e <= 1e-4, `${fixture}/${c.name} ${engine} ${what}: max |Δ| ${e.toExponential(2)}`);
        }
      }
      t.diagnostic(`max |Δ|: ${Object.entries(worst).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')}`);
    } finally {
      await session.dispose();
    }
  });
}
