/** Length-bucketed batches: a partition of the rows, deterministic per (seed, epoch), less padding. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { epochBatches, epochRng, lengthBuckets, paddingFraction } from '../../src-main/data/batching.js';
import { Rng } from '../../src-main/util/rng.js';

test('lengthBuckets: every row exactly once, ceil(n / batchSize) batches of at most batchSize', () => {
  fc.assert(fc.property(
    fc.array(fc.integer({ min: 1, max: 128 }), { maxLength: 400 }),
    fc.integer({ min: 1, max: 40 }),
    fc.integer({ min: 1, max: 8 }),
    fc.integer({ min: 0, max: 2 ** 31 }),
    (lengths, batchSize, poolBatches, seed) => {
      const batches = lengthBuckets(lengths, batchSize, new Rng(seed), poolBatches);
      assert.equal(batches.length, Math.ceil(lengths.length / batchSize));
      assert.ok(batches.every((b) => b.length >= 1 && b.length <= batchSize));
      assert.deepEqual(batches.flat().sort((a, b) => a - b), lengths.map((_, i) => i));
    },
  ));
  assert.throws(() => lengthBuckets([1, 2], 0, new Rng(1)), /batchSize must be a positive integer/);
});

test('epochBatches: a function of (seed, epoch) alone, so an epoch resumes exactly at any batch', () => {
  const rng = new Rng(11);
  const lengths = Array.from({ length: 1000 }, () => 1 + rng.int(60));
  const full = epochBatches(lengths, 16, 42, 3);
  // A resumed trainer recomputes the epoch's order and continues at batch k.
  epochBatches(lengths, 16, 42, 0); // unrelated work in between changes nothing
  assert.deepEqual(epochBatches(lengths, 16, 42, 3).slice(17), full.slice(17));
  assert.deepEqual(epochRng(42, 3).state, epochRng(42, 3).state);
  assert.notDeepEqual(epochBatches(lengths, 16, 42, 4), full, 'each epoch reshuffles');
  assert.notDeepEqual(epochBatches(lengths, 16, 43, 3), full, 'each seed reshuffles');
  const states = new Set(Array.from({ length: 50 }, (_, e) => epochRng(42, e).state.join(',')));
  assert.equal(states.size, 50, 'distinct epochs, distinct streams');
});

test('bucketing pads far less than random batches, and batch order mixes lengths', () => {
  const rng = new Rng(7);
  // Long-tailed lengths, as sentences are.
  const lengths = Array.from({ length: 5000 }, () => Math.max(2, Math.round(Math.exp(2.5 + 0.7 * rng.normal()))));
  const bucketed = epochBatches(lengths, 32, 1, 0);
  const random = lengthBuckets(lengths, 32, new Rng(1), 1); // pools of one batch = plain random batches
  const pb = paddingFraction(lengths, bucketed), pr = paddingFraction(lengths, random);
  assert.ok(pb < 0.25 * pr, `padding: bucketed ${pb.toFixed(3)} vs random ${pr.toFixed(3)}`);
  const firstLongest = bucketed.slice(0, 20).map((b) => Math.max(...b.map((i) => lengths[i])));
  assert.ok(new Set(firstLongest).size > 5, 'batches are not served shortest-first');
  assert.equal(paddingFraction([3, 3], [[0, 1]]), 0);
  assert.ok(Math.abs(paddingFraction([1, 3], [[0, 1]]) - 1 / 3) < 1e-15);
});
