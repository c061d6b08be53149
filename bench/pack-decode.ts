/**
 * What the strict decoder's guards cost and what they stop (issue 24), side by side in one
 * run: on an ordinary pack, the phases of decodePack — the token scan, msgpackr + the field
 * checks (the decoder before the guards), the canonical re-encoding — against the whole; on
 * a hostile pack whose diff list references one large diff N times (msgpackr structured
 * clone), the time and heap the unguarded path took against decodePack's refusal.
 * Run alone: `npx tsx bench/pack-decode.ts` → bench/results/pack-decode.json.
 */
import { Packr, Unpackr } from 'msgpackr';
import { decodePack, encodePack } from '../src-main/packs/codec.js';
import { PackError } from '../src-main/packs/errors.js';
import type { PackContent, SparseDiff } from '../src-main/packs/format.js';
import { scanBody } from '../src-main/packs/msgpack-scan.js';
import { bodyOf, contentOf } from '../src-main/packs/schema.js';
import { goldenContent, seal } from '../support/pack-fixtures.js';
import { runIfMain } from './results-file.js';

const packr = new Packr({ moreTypes: true, useRecords: false });
// The decoder before the guards: msgpackr follows its structured-clone references.
const unguarded = new Unpackr({ mapsAsObjects: false, useRecords: false, moreTypes: true });
const gc = (globalThis as { gc?: () => void }).gc;

/** Median ms over `n` runs after a warm-up, the heap (+ array buffers) grown across one run in MB, and the outcome. */
function measure(f: () => unknown, n = 9): { median_ms: number; heap_mb: number; outcome: string } {
  let outcome = 'accepted';
  const attempt = () => {
    try { f(); } catch (e) { outcome = e instanceof PackError ? e.code : String(e); } // a refusal is a result too
  };
  attempt();
  const times = Array.from({ length: n }, () => { const t0 = performance.now(); attempt(); return performance.now() - t0; }).sort((a, b) => a - b);
  gc?.();
  const used = () => { const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
  const before = used();
  attempt();
  return { median_ms: +times[n >> 1].toFixed(2), heap_mb: +((used() - before) / 2 ** 20).toFixed(2), outcome };
}

/** A [rows, cols] int8 diff at 0.5 % density. */
function diff(name: string, rows: number, cols: number): SparseDiff {
  const numel = rows * cols, nnz = Math.ceil(numel * 0.005);
  return { name, dims: [rows, cols], indices: Uint32Array.from({ length: nnz }, (_, i) => i * Math.floor(numel / nnz)), values: { encoding: 'int8', scale: 0.5, data: new Int8Array(nnz).fill(3) } };
}

export async function run(): Promise<object> {
  const ordinary: PackContent = { ...goldenContent(), diffs: Array.from({ length: 12 }, (_, k) => diff(`t${k}`, 768, 3072)) };
  const bytes = encodePack(ordinary), body = bytes.subarray(16, bytes.length - 32);
  const phases = {
    pack_bytes: bytes.length,
    scan: measure(() => scanBody(body)),
    msgpackr_and_fields: measure(() => contentOf(unguarded.unpack(body), 1)),
    canonical_reencode: measure(() => packr.pack(bodyOf(ordinary))),
    decodePack: measure(() => decodePack(bytes)),
  };
  const hostile = [1, 20, 200].map((times) => {
    const b = bodyOf({ ...goldenContent(), diffs: [diff('big', 1000, 1000)] }) as { diffs: object[] };
    b.diffs = Array.from({ length: times }, () => b.diffs[0]);
    const sealed = seal(new Packr({ structuredClone: true, useRecords: false, moreTypes: true }).pack(b));
    const body = sealed.subarray(16, sealed.length - 32);
    return { references: times, pack_bytes: sealed.length, unguarded: measure(() => contentOf(unguarded.unpack(body), 1), 3), decodePack: measure(() => decodePack(sealed), 3) };
  });
  return { ordinary: phases, hostile, gc_exposed: gc !== undefined };
}

await runIfMain(import.meta.url, 'pack-decode', run);
