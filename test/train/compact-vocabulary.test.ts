/**
 * Diff pruning over the token-table rows the texts look up (model/compact-vocabulary.ts):
 * the cut base renumbers ids to its rows and expand() puts rows back; over the cut table the
 * L0 phase trains what it trains over the whole table (where the rows left out keep w = 0),
 * the projection samples the same gates and keeps the whole base's budget, and the pack is
 * the one the whole table's run writes.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { compactVocabulary } from '../../src-main/model/compact-vocabulary.js';
import { TOKEN_TABLE } from '../../src-main/model/layers.js';
import { dequantize } from '../../src-main/packs/values.js';
import { diffName, gateName } from '../../src-main/train/diff-params.js';
import { loadL0State } from '../../src-main/train/l0-state.js';
import { paramInput } from '../../src-main/train/step-graph.js';
import { Trainer, type TrainResult } from '../../src-main/train/trainer.js';
import type { TrainConfig } from '../../src-main/train/train-config.js';
import { syntheticSentiment, TINY_DIFF_CONFIG, tinyBert } from '../../support/trainer-fixtures.js';

test('compact vocabulary: the looked-up rows (padding and added tokens too), ids renumbered in order, rows put back', () => {
  const { home, base } = tinyBert();
  const rows = syntheticSentiment(home, 24, 5).rows, task = { type: 'classification' as const, outputs: 2, pair: false };
  const v = compactVocabulary(base, task, [rows]);
  const [fullRows, width] = base.weights.get(TOKEN_TABLE)!.dims;
  assert.equal(v.fullRows, fullRows);
  assert.ok(v.rows.length < fullRows / 2, `${v.rows.length} of ${fullRows} rows kept`);
  assert.ok(v.rows.every((r, k) => k === 0 || r > v.rows[k - 1]), 'ascending');
  // Two rows of different lengths pad: every id of the full encoding is a kept row, and renumbering maps it there.
  const full = base.encode(rows.slice(0, 8), task), cut = v.base.encode(rows.slice(0, 8), task);
  const ids = full.ids.data as Int32Array, renumbered = cut.ids.data as Int32Array;
  assert.ok((full.mask.data as Float32Array).includes(0), 'the batch pads');
  assert.deepEqual([...renumbered].map((k) => v.rows[k]), [...ids]);
  assert.deepEqual(cut.mask.data, full.mask.data);
  // The cut table holds the base's rows; expand puts a cut tensor back, zero elsewhere.
  const table = base.weights.get(TOKEN_TABLE)!, cutTable = v.base.weights.get(TOKEN_TABLE)!;
  assert.deepEqual(cutTable.dims, [v.rows.length, width]);
  const back = v.expand(cutTable.data);
  for (let r = 0; r < fullRows; r++) {
    const kept = v.rows.includes(r), row = back.subarray(r * width, (r + 1) * width);
    assert.deepEqual(row, kept ? table.data.subarray(r * width, (r + 1) * width) : new Float32Array(width), `row ${r}`);
  }
  // Other tensors are the base's own; a text outside the rows is refused, not looked up elsewhere.
  assert.equal(v.base.weights.get('emb.pos'), base.weights.get('emb.pos'));
  assert.throws(() => v.base.encode([{ text: 'zebra quantum xylophone' }], task), /outside the rows this run's texts look up/);
});

/** The L0 phase's final w and α of a run over the whole table and of one over the looked-up rows, and the two runs. */
async function twoRuns(config: TrainConfig) {
  const { home, base } = tinyBert();
  const train = syntheticSentiment(home, 64, 1), dev = syntheticSentiment(home, 16, 2);
  const run = async (fullVocabulary: boolean) => {
    const runDir = join(home, 'runs', String(fullVocabulary));
    const r = await new Trainer({ base, train, dev, config, runDir, fullVocabulary }).run();
    assert.equal(r.status, 'done');
    return { result: r as TrainResult, l0: loadL0State(runDir).tensors };
  };
  return { whole: await run(true), cut: await run(false), vocabulary: compactVocabulary(base, train.task, [train.rows, dev.rows]), base };
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-5 + 1e-3 * Math.abs(b);

for (const [what, config] of [
  ['diff', TINY_DIFF_CONFIG],
  ['diff-structured, additive penalty', { ...TINY_DIFF_CONFIG, method: 'diff-structured', penalty: 'additive' }],
] as [string, TrainConfig][]) {
  test(`compact vocabulary (${what}): the L0 phase trains the whole table's δ, the projection keeps the same budget, the pack is the same`, async () => {
    const { whole, cut, vocabulary, base } = await twoRuns({ ...config, epochs: 2 });
    const [, width] = base.weights.get(TOKEN_TABLE)!.dims;
    for (const [n, t] of whole.l0) {
      if (!n.startsWith(paramInput(diffName(''))) && !n.startsWith(paramInput(gateName('')))) continue;
      const isTable = n.endsWith(`.${TOKEN_TABLE}`), c = cut.l0.get(n)!.data as Float32Array, full = t.data as Float32Array;
      for (let i = 0; i < full.length; i++) {
        const row = Math.floor(i / width), k = isTable ? vocabulary.rows.indexOf(row) : -2;
        if (k === -1) {
          // A row no text looks up: w never moved off 0 in the whole table's run.
          if (n.startsWith(paramInput(diffName('')))) assert.equal(full[i], 0, `${n}[${i}]`);
          continue;
        }
        const j = isTable ? k * width + (i % width) : i;
        assert.ok(close(c[j], full[i]), `${n}[${i}]: ${c[j]} vs ${full[i]}`);
      }
    }
    const [p, q] = [cut.result.projection!, whole.result.projection!];
    assert.deepEqual([p.total, p.nnz], [q.total, q.nnz], 'the same budget: ⌈t·d⌉ of the whole base');
    assert.equal(p.nonzeroBefore, q.nonzeroBefore, 'the projection samples the same gates');
    // The same pack: the same positions (the token table's in the full table's rows), values to rounding.
    assert.deepEqual(cut.result.pack.diffs.map((d) => d.name), whole.result.pack.diffs.map((d) => d.name));
    for (const [i, d] of whole.result.pack.diffs.entries()) {
      const e = cut.result.pack.diffs[i];
      assert.deepEqual(e.indices, d.indices, `'${d.name}': the same kept positions`);
      const a = dequantize(d.values), b = dequantize(e.values);
      for (let k = 0; k < a.length; k++) assert.ok(close(b[k], a[k]), `'${d.name}'[${d.indices[k]}]: ${b[k]} vs ${a[k]}`);
    }
    for (const i of cut.result.pack.diffs.find((d) => d.name === TOKEN_TABLE)?.indices ?? []) assert.ok(vocabulary.rows.includes(Math.floor(i / width)));
  });
}

test('a checkpoint or L0 state that does not fit the run (the whole table, resumed over the looked-up rows) is refused by name', async () => {
  const { home, base } = tinyBert();
  const train = syntheticSentiment(home, 64, 1), dev = syntheticSentiment(home, 16, 2), runDir = join(home, 'runs', 'r');
  const first: Trainer = new Trainer({ base, train, dev, config: TINY_DIFF_CONFIG, runDir, fullVocabulary: true, stepsPerRun: 1, onEvent: (e) => { if (e.kind === 'step') first.cancel(); } });
  assert.equal((await first.run()).status, 'cancelled');
  await assert.rejects(new Trainer({ base, train, dev, config: TINY_DIFF_CONFIG, runDir }).run(),
    /the saved state's 'p\.diff\.emb\.tok' is \[\d+, \d+\] where this run trains \[\d+, \d+\]: .*start the run afresh/);
  // An L0 state over the whole table (what the sparsity explorer starts from) is refused the same way.
  const whole = join(home, 'runs', 'whole');
  assert.equal((await new Trainer({ base, train, dev, config: { ...TINY_DIFF_CONFIG, maxSteps: 1 }, runDir: whole, fullVocabulary: true }).run()).status, 'done');
  assert.throws(() => new Trainer({ base, train, dev, config: { ...TINY_DIFF_CONFIG, maxSteps: 1 }, runDir: join(home, 'runs', 'from-l0') }).startFromL0State(loadL0State(whole)),
    /the saved L0 state's 'p\.diff\.emb\.tok' is \[\d+, \d+\] where this run trains \[\d+, \d+\]: .*start the run afresh/);
});
