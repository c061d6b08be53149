/**
 * What durable checkpoints cost: saveCheckpoint (every file fsynced, checksums written last
 * and read back before latest.json moves) and loadCheckpoint (checksums checked) against the
 * previous implementation (as of e74ef61: files not fsynced, no checksums, nothing read
 * back), interleaved round by round at two state sizes, in one temp directory.
 * Run alone: `npx tsx bench/checkpoint-save.ts` → bench/results/checkpoint-save.json.
 */
import { closeSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../src-main/durable/atomic.js';
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from '../src-main/train/checkpoint.js';
import { runIfMain } from './results-file.js';

const SIZES_MB = [4, 64];
const ROUNDS = 7;

const fsyncPath = (p: string) => { const fd = openSync(p, 'r'); try { fsyncSync(fd); } finally { closeSync(fd); } };

/** The previous saveCheckpoint and loadCheckpoint, reduced to their file operations. */
function saveBefore(dir: string, step: number, blob: Uint8Array, meta: string): void {
  const name = `ckpt-${String(step).padStart(9, '0')}`, tmp = join(dir, `.tmp-${name}`);
  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(tmp, 'tensors.bin'), blob);
  writeFileSync(join(tmp, 'meta.json'), meta);
  fsyncPath(tmp);
  renameSync(tmp, join(dir, name));
  fsyncPath(dir);
  writeFileAtomic(join(dir, 'latest.json'), JSON.stringify({ checkpoint: name }));
  for (const old of readdirSync(dir)) if (old.startsWith('ckpt-') && old !== name) rmSync(join(dir, old), { recursive: true, force: true });
}
function loadBefore(dir: string): Map<string, Float32Array> {
  const { checkpoint } = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as { checkpoint: string };
  const { layout } = JSON.parse(readFileSync(join(dir, checkpoint, 'meta.json'), 'utf8')) as { layout: { name: string; offset: number; length: number }[] };
  const blob = readFileSync(join(dir, checkpoint, 'tensors.bin'));
  const tensors = new Map<string, Float32Array>();
  for (const l of layout) {
    const data = new Float32Array(l.length);
    new Uint8Array(data.buffer).set(blob.subarray(l.offset, l.offset + l.length * 4));
    tensors.set(l.name, data);
  }
  return tensors;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const timed = (f: () => unknown) => { const t0 = performance.now(); f(); return performance.now() - t0; };

export async function run(): Promise<object> {
  const root = mkdtempSync(join(tmpdir(), 'bench-ckpt-'));
  const results: Record<string, object> = {};
  try {
    for (const mb of SIZES_MB) {
      const data = Float32Array.from({ length: (mb << 20) / 4 }, (_, i) => Math.sin(i));
      const ck: Checkpoint<{ step: number }> = { meta: { step: 0 }, tensors: new Map([['p.w', { dims: [data.length], data }]]) };
      const blob = new Uint8Array(data.buffer), meta = JSON.stringify({ meta: ck.meta, layout: [{ name: 'p.w', dims: [data.length], offset: 0, length: data.length }] });
      const before = join(root, `before-${mb}`), durable = join(root, `durable-${mb}`);
      const t = { saveBefore: [] as number[], saveDurable: [] as number[], loadBefore: [] as number[], loadDurable: [] as number[] };
      for (let r = 0; r < ROUNDS; r++) {
        t.saveBefore.push(timed(() => saveBefore(before, r, blob, meta)));
        t.saveDurable.push(timed(() => saveCheckpoint(durable, r, ck)));
        t.loadBefore.push(timed(() => loadBefore(before)));
        t.loadDurable.push(timed(() => loadCheckpoint(durable)));
      }
      const m = Object.fromEntries(Object.entries(t).map(([k, xs]) => [k, +median(xs).toFixed(1)]));
      results[`${mb} MB`] = { medianMs: m, saveRatio: +(m.saveDurable / m.saveBefore).toFixed(2), loadRatio: +(m.loadDurable / m.loadBefore).toFixed(2) };
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return { rounds: ROUNDS, tmpdir: tmpdir(), sizes: results };
}

await runIfMain(import.meta.url, 'checkpoint-save', run);
