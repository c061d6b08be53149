/**
 * Checkpoint durability: the previous checkpoint is kept until a newer one exists and
 * verifies; a damaged newest one (zero-filled, truncated, missing, latest.json unreadable) is
 * reported and the previous one loads bit-exactly; re-checkpointing a step never removes
 * the one latest.json names.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DamagedError } from '../../src-main/durable/atomic.js';
import { loadCheckpoint, saveCheckpoint, type Checkpoint, type DamagedCheckpoint } from '../../src-main/train/checkpoint.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'taskpack-ckpt-'));

/** Checkpoint k: distinct values, including ones a zero-fill or a bit flip would change. */
const state = (k: number): Checkpoint<{ k: number }> => ({
  meta: { k },
  tensors: new Map([['p.w', { dims: [3, 5], data: Float32Array.from({ length: 15 }, (_, i) => Math.sin(k * 31 + i) * 1e3) }], ['m.b', { dims: [2], data: Float32Array.of(k, -k) }]]),
});
const ckpts = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('ckpt-')).sort();
const latest = (dir: string) => (JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as { checkpoint: string }).checkpoint;

function loadReporting(dir: string): { ck: Checkpoint<{ k: number }>; damaged: DamagedCheckpoint[] } {
  const damaged: DamagedCheckpoint[] = [];
  return { ck: loadCheckpoint<{ k: number }>(dir, (d) => damaged.push(d)), damaged };
}

test('float16 tensors (Adam moments) are kept as such: the same bits back, two bytes each', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const half = Uint16Array.of(0, 1, 0x3c00, 0x7bff, 0x8001, 0xfbff, 0x0400); // 0, the smallest subnormal, 1, ±65,504, −subnormal, the smallest normal
  const ck = { meta: { k: 1 }, tensors: new Map([['p.w', { dims: [3], data: Float32Array.of(1, -2, 3) }], ['m.w', { dims: [7], data: half }], ['p.b', { dims: [1], data: Float32Array.of(5) }]]) };
  const at = saveCheckpoint(dir, 1, ck);
  assert.equal(statSync(join(at, 'tensors.bin')).size, 4 * 3 + 2 * 7 + 4);
  assert.deepEqual(loadCheckpoint<{ k: number }>(dir), ck);
});

test('the newest and the previous checkpoint are kept; older ones go', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const k of [1, 2, 3]) saveCheckpoint(dir, k, state(k));
  assert.deepEqual(ckpts(dir), ['ckpt-000000002', 'ckpt-000000003']);
  const { ck, damaged } = loadReporting(dir);
  assert.deepEqual(damaged, []);
  assert.deepEqual(ck, state(3));
});

for (const [how, damage] of [
  ['zero-filled tensors.bin of the right length', (at: string) => writeFileSync(join(at, 'tensors.bin'), Buffer.alloc(statSync(join(at, 'tensors.bin')).size))],
  ['one flipped bit', (at: string) => { const b = readFileSync(join(at, 'tensors.bin')); b[7] ^= 1; writeFileSync(join(at, 'tensors.bin'), b); }],
  ['truncated tensors.bin', (at: string) => truncateSync(join(at, 'tensors.bin'), 10)],
  ['zero-filled meta.json', (at: string) => writeFileSync(join(at, 'meta.json'), Buffer.alloc(statSync(join(at, 'meta.json')).size))],
  ['the directory gone', (at: string) => rmSync(at, { recursive: true })],
] as const) {
  test(`a damaged newest checkpoint (${how}) is reported and the previous one loads bit-exactly`, (t) => {
    const dir = tempDir();
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    saveCheckpoint(dir, 4, state(4));
    saveCheckpoint(dir, 8, state(8));
    damage(join(dir, latest(dir)));
    const { ck, damaged } = loadReporting(dir);
    assert.equal(damaged.length, 1);
    assert.equal(damaged[0].checkpoint, 'ckpt-000000008');
    assert.deepEqual(ck, state(4));
    // Training goes on from there: the next checkpoint replaces the damaged one.
    saveCheckpoint(dir, 5, state(5));
    assert.deepEqual(loadReporting(dir), { ck: state(5), damaged: [] });
  });
}

test('an unreadable latest.json is reported and the newest intact checkpoint is used; none intact is a clear error', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  saveCheckpoint(dir, 1, state(1));
  saveCheckpoint(dir, 2, state(2));
  writeFileSync(join(dir, 'latest.json'), Buffer.alloc(27));
  const { ck, damaged } = loadReporting(dir);
  assert.deepEqual(damaged.map((d) => d.checkpoint), ['latest.json']);
  assert.deepEqual(ck, state(2));
  for (const n of ckpts(dir)) writeFileSync(join(dir, n, 'tensors.bin'), Buffer.alloc(statSync(join(dir, n, 'tensors.bin')).size));
  assert.throws(() => loadCheckpoint(dir), (e: unknown) => e instanceof DamagedError && /^no intact checkpoint in .*ckpt-000000002.*ckpt-000000001/.test(e.message));
});

test('checkpointing the same step again writes beside the one latest.json names, never over it', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  saveCheckpoint(dir, 3, state(3));
  saveCheckpoint(dir, 6, state(6));
  saveCheckpoint(dir, 6, state(7));
  assert.deepEqual(ckpts(dir), ['ckpt-000000006', 'ckpt-000000006-1']);
  assert.equal(latest(dir), 'ckpt-000000006-1');
  assert.deepEqual(loadReporting(dir).ck, state(7));
  rmSync(join(dir, 'ckpt-000000006-1'), { recursive: true });
  assert.deepEqual(loadReporting(dir).ck, state(6), 'the one before it is the fallback');
});
