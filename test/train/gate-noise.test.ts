/**
 * Gate noise drawn per step: a noise table read only through the token lookup is drawn for
 * the looked-up rows alone, and the step really reads no other row (NaN there changes
 * nothing on ORT); every other noise input is drawn whole.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openStepLoop } from '../../src-main/runtime/index.js';
import { syntheticTask, TINY_CONFIG } from '../../src-main/selftest/synthetic-task.js';
import { compileStep, toHostAll } from '../../src-main/train/compile.js';
import { noiseName } from '../../src-main/train/diff-params.js';
import { GateNoise, noiseInputs } from '../../src-main/train/gate-noise.js';
import { fillGateNoise } from '../../src-main/train/hard-concrete.js';
import { Rng } from '../../src-main/util/rng.js';

const task = syntheticTask({ method: 'diff-structured' });
/** A float16 NaN's bits. */
const HALF_NAN = 0x7e00;
const inputs = noiseInputs(task.graph.inputs, Object.values(task.graph.outputs));

test('gate noise: only the token table is row-read, through the ids input', () => {
  const rowRead = inputs.filter((i) => i.rowsFrom);
  assert.deepEqual(rowRead.map((i) => [i.name, i.rowsFrom]), [[noiseName('emb.tok'), ['ids']]]);
  // Every gated tensor has its noise (and a group noise for the structured gates).
  assert.equal(inputs.length, 2 * task.trainables.filter((t) => t.group === 'diff').length);
});

test('gate noise: the looked-up rows are drawn in ascending order, the rest left alone', () => {
  const table = inputs.find((i) => i.rowsFrom)!;
  const [rows, width] = table.shape;
  const ids = Int32Array.of(5, 2, 5, 9, 2);
  const drawn = new GateNoise([table]).draw(new Rng(4), () => ids).get(table.name)!.data;
  const expected = new Rng(4);
  for (let r = 0; r < rows; r++) {
    const row = drawn.subarray(r * width, (r + 1) * width);
    if ([2, 5, 9].includes(r)) assert.deepEqual([...row], [...fillGateNoise(new Uint16Array(width), expected)], `row ${r}`);
    else assert.ok(row.every((u) => u === 0), `row ${r} was drawn`);
  }
  assert.throws(() => new GateNoise([table]).draw(new Rng(4), () => Int32Array.of(rows)), /row 16 is outside 'noise\.emb\.tok' \(16 rows\)/);
});

test('gate noise: a step reads no token-table noise row outside the batch (NaN there changes nothing)', async () => {
  const { bytes } = compileStep(task.graph);
  const feeds = toHostAll(task.stepFeeds(1));
  const ids = new Set(feeds.ids.data as Int32Array);
  assert.ok(ids.size < TINY_CONFIG.vocab, 'the batch should leave some rows unused');
  const poisoned = { ...feeds, [noiseName('emb.tok')]: { ...feeds[noiseName('emb.tok')], data: (feeds[noiseName('emb.tok')].data as Uint16Array).map((u, i) => (ids.has(Math.floor(i / TINY_CONFIG.hidden)) ? u : HALF_NAN)) } };
  const outs = [];
  for (const f of [feeds, poisoned]) {
    const loop = await openStepLoop(bytes, { provider: 'cpu' }, task.graph.stateBinding, toHostAll(task.initialState()));
    try {
      const scalars = await loop.step(f);
      outs.push({ scalars, state: await loop.readState() });
    } finally {
      await loop.dispose();
    }
  }
  for (const k of task.graph.scalars) assert.deepEqual([...outs[1].scalars[k].data], [...outs[0].scalars[k].data], k);
  for (const [k, t] of Object.entries(outs[0].state)) {
    assert.ok((outs[1].state[k].data as Float32Array).every((v, i) => Object.is(v, (t.data as Float32Array)[i])), `state ${k} differs`);
  }
});
