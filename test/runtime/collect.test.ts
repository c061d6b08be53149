import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { collectGarbage } from '../../src-main/runtime/collect.js';

const MiB = 2 ** 20;

/** Allocate and drop a buffer of `bytes` (its only reference dies with this frame). */
function dropBuffer(bytes: number): void {
  new Float32Array(bytes / 4).fill(1);
}

test('collectGarbage frees unreachable buffers at once, and skips a call that follows too soon', async () => {
  // Wait out any earlier collection's throttle (20 × its duration: milliseconds here).
  for (let k = 0; k < 100 && !collectGarbage(); k++) await sleep(50);
  await sleep(1500);
  const before = process.memoryUsage().arrayBuffers;
  dropBuffer(256 * MiB);
  assert.ok(process.memoryUsage().arrayBuffers >= before + 256 * MiB, 'the dropped buffer is still counted before collecting');
  assert.equal(collectGarbage(), true, 'a collection runs once its throttle has passed');
  const after = process.memoryUsage().arrayBuffers;
  assert.ok(after < before + 64 * MiB, `256 MiB of garbage still counted after collecting: +${((after - before) / MiB).toFixed(0)} MiB`);
  assert.equal(collectGarbage(), false, 'a second collection at once is skipped');
});

test('collectGarbage: forced collections one after another each free the buffers dropped before them', () => {
  // V8 sweeps dead ArrayBuffers on a background thread unless told not to (collect.ts); then
  // a collection right after another returned with the last round's garbage still held.
  const before = process.memoryUsage().arrayBuffers;
  for (let round = 0; round < 6; round++) {
    for (let k = 0; k < 4; k++) dropBuffer(64 * MiB);
    assert.equal(collectGarbage(true), true);
    const after = process.memoryUsage().arrayBuffers;
    assert.ok(after < before + 64 * MiB, `round ${round}: +${((after - before) / MiB).toFixed(0)} MiB still counted after collecting`);
  }
});
