/**
 * Fuzzing the strict decoder with fast-check (format versions 1 and 2: the golden diff pack, a
 * LoRA and a Houlsby pack): every mutated pack gives a PackError with the
 * expected code (never another exception), and a store refusing it is left byte-identical.
 * CI runs FUZZ_RUNS (default 2,400) cases spread over the properties; `npm run fuzz` 100,000,
 * and with FUZZ_MEASURE set (and --expose-gc) reports the slowest decode and the most heap
 * one took (measured here, never asserted as a timing).
 * Structural mutations are re-sealed with a valid digest so they reach the body checks.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { Packr, Unpackr } from 'msgpackr';
import { saveBase } from '../../src-main/model/base-store.js';
import { decodePack as decodeUnmeasured, type DecodeOptions } from '../../src-main/packs/codec.js';
import { PackError, type PackErrorCode } from '../../src-main/packs/errors.js';
import { DIGEST_BYTES, HEADER_BYTES } from '../../src-main/packs/format.js';
import { PackStore } from '../../src-main/packs/store.js';
import { encodePack } from '../../src-main/packs/codec.js';
import { GOLDEN_PATH, goldenKey, moduleContent, seal, snapshotDir, syntheticBase } from '../../support/pack-fixtures.js';

const PROPERTIES = 17;
const RUNS = Math.max(1, Math.ceil(Number(process.env.FUZZ_RUNS ?? 2400) / PROPERTIES));
const params = { numRuns: RUNS, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined };

const base = syntheticBase();
const signed = new Uint8Array(readFileSync(GOLDEN_PATH()));
const unsigned = signed.slice(0, signed.length - 96);
// Version 2: a LoRA pack (modules only) and a Houlsby pack (modules and dense LayerNorm diffs), each signed.
const V2 = {
  lora: encodePack(moduleContent({ kind: 'lora', rank: 2, alpha: 16, targets: 'all' }), { signWith: goldenKey() }),
  houlsby: encodePack(moduleContent({ kind: 'adapter', variant: 'houlsby', bottleneck: 3 }, { encoding: 'float16' }), { signWith: goldenKey() }),
};
const v2Unsigned = (k: keyof typeof V2) => V2[k].slice(0, V2[k].length - 96);
const packr = new Packr({ moreTypes: true, useRecords: false });
const unpackr = new Unpackr({ mapsAsObjects: false, useRecords: false });

// One store (with the pack's base installed and one pack in it) that every refusal must leave as it was.
const home = mkdtempSync(join(tmpdir(), 'taskpack-fuzz-'));
saveBase(home, { id: 'synthetic-tiny', architecture: 'bert', displayName: 'fuzz', config: {}, maxLength: 8, weights: base.weights, tokenizerJson: '{}' });
const store = new PackStore(home);
const installedId = store.install(unsigned).entry.id;
const storeBefore = snapshotDir(store.dir);
let cases = 0;

// The worst decode seen: time and heap (+ array buffers) grown across one call, after a minor GC.
const MEASURE = process.env.FUZZ_MEASURE !== undefined;
const gc = (globalThis as { gc?: (o?: { type: string }) => void }).gc;
const worst = { ms: 0, msBytes: 0, mb: 0, mbBytes: 0, decodes: 0 };
const used = () => { const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
function decodePack(bytes: Uint8Array, opts?: DecodeOptions) {
  if (!MEASURE) return decodeUnmeasured(bytes, opts);
  gc?.({ type: 'minor' });
  const before = used(), t0 = performance.now();
  try {
    return decodeUnmeasured(bytes, opts);
  } finally {
    const ms = performance.now() - t0, mb = (used() - before) / 2 ** 20;
    worst.decodes++;
    if (ms > worst.ms) Object.assign(worst, { ms, msBytes: bytes.length });
    if (mb > worst.mb) Object.assign(worst, { mb, mbBytes: bytes.length });
  }
}

function refused(bytes: Uint8Array, codes: readonly PackErrorCode[]): boolean {
  cases++;
  for (const attempt of [() => decodePack(bytes, { base }), () => store.install(bytes)]) {
    try {
      attempt();
    } catch (e) {
      if (!(e instanceof PackError)) throw new Error(`not a PackError: ${(e as Error)?.stack ?? e}`);
      if (!codes.includes(e.code)) throw new Error(`expected ${codes.join('|')}, got ${e.message}`);
      continue;
    }
    throw new Error(`accepted a mutated pack (expected ${codes.join('|')})`);
  }
  return true;
}

after(() => {
  assert.deepEqual(snapshotDir(store.dir), storeBefore, 'the store changed');
  assert.deepEqual(store.list().map((p) => p.id), [installedId]);
  rmSync(home, { recursive: true, force: true });
});

type Tree = Map<string, unknown>;
const tree = (pack = unsigned): Tree => unpackr.unpack(pack.subarray(HEADER_BYTES, pack.length - DIGEST_BYTES)) as Tree;
/** As encodePack writes a body: records as objects (map16), the user-keyed maps as Maps, bytes as bin (Buffer). */
const USER_MAPS = new Set(['hyperParameters', 'devMetrics']);
const asWritten = (v: unknown, key = ''): unknown =>
  v instanceof Map ? (USER_MAPS.has(key) ? v : Object.fromEntries([...v].map(([k, x]) => [k, asWritten(x, String(k))])))
    : Array.isArray(v) ? v.map((x) => asWritten(x))
    : v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v;
/** Version-2 fields (in the Houlsby pack: modules and float16 LayerNorm diffs). */
const V2_PATHS: (string | number)[][] = [
  ['kind'], ['module'], ['module', 'kind'], ['module', 'variant'], ['module', 'bottleneck'], ['modules'], ['modules', 0], ['modules', 0, 'name'],
  ['modules', 1, 'dims'], ['modules', 2, 'values'], ['modules', 3, 'scale'], ['modules', 4, 'valueEncoding'], ['modules', 5, 'dims', 0],
];
const V2_KEYS = new Set(['kind', 'module', 'modules']);

const reseal = (t: Tree, version = t.has('kind') ? 2 : 1) => seal(packr.pack(asWritten(t)), undefined, version);
const diff = (t: Tree, k: number) => (t.get('diffs') as Tree[])[k];
const at = (t: Tree, ...path: (string | number)[]) => path.reduce<unknown>((v, p) => (typeof p === 'number' ? (v as unknown[])[p] : (v as Tree).get(p)), t);

function varints(gaps: number[]): Buffer {
  const out: number[] = [];
  for (let v of gaps) {
    while (v >= 0x80) { out.push((v & 0x7f) | 0x80); v = Math.floor(v / 128); }
    out.push(v);
  }
  return Buffer.from(out);
}
/** diffs[0] is gap-coded float16 over l0.attn.qkv.w [8, 24]. */
const gapDiff = () => {
  const t = tree(), d = diff(t, 0);
  const bytes = d.get('indices') as Uint8Array;
  const gaps: number[] = [];
  for (let pos = 0; pos < bytes.length;) {
    let v = 0, s = 1, b;
    do { b = bytes[pos++]; v += (b & 0x7f) * s; s *= 128; } while (b & 0x80);
    gaps.push(v);
  }
  return { t, d, gaps };
};

test('bit flips anywhere, version 1 and 2: a specific error by region, never a crash', () => {
  fc.assert(fc.property(fc.constantFrom('v1', 'lora', 'houlsby'), fc.boolean(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }), (which, isSigned, flips) => {
    const original = which === 'v1' ? (isSigned ? signed : unsigned) : isSigned ? V2[which] : v2Unsigned(which);
    const unsignedLength = which === 'v1' ? unsigned.length : V2[which].length - 96;
    const bytes = original.slice();
    for (const [pos, bit] of flips) bytes[pos % bytes.length] ^= 1 << bit;
    if (Buffer.compare(bytes, original) === 0) return true; // flips cancelled out
    const first = Math.min(...flips.map(([p]) => p % bytes.length).filter((p) => bytes[p] !== original[p]));
    // A version flipped to the other one this app reads reaches the digest, which covers the header.
    const codes: PackErrorCode[] = first < 8 ? ['BAD_MAGIC'] : first < 10 ? ['UNSUPPORTED_VERSION', 'INTEGRITY'] : first < 12 ? ['SCHEMA']
      : first < 16 ? ['TRUNCATED', 'TRAILING_BYTES', 'INTEGRITY'] : first < unsignedLength ? ['INTEGRITY'] : ['BAD_SIGNATURE'];
    return refused(bytes, codes);
  }), params);
});

test('truncation and extension at any length, version 1 and 2', () => {
  fc.assert(fc.property(fc.constantFrom('v1', 'lora', 'houlsby'), fc.boolean(), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 200 }), (which, isSigned, cut, extra) => {
    const full = which === 'v1' ? (isSigned ? signed : unsigned) : isSigned ? V2[which] : v2Unsigned(which);
    const n = cut % full.length;
    if (isSigned && n === full.length - 96) {
      // Cutting the whole signature block leaves a valid unsigned pack; a store that requires signatures refuses it.
      assert.equal(decodePack(full.subarray(0, n)).signature, undefined);
      try { decodePack(full.subarray(0, n), { requireSignature: true }); } catch (e) { return (e as PackError).code === 'UNSIGNED'; }
      return false;
    }
    const codes: PackErrorCode[] = n < HEADER_BYTES + 8 ? ['TRUNCATED', 'BAD_MAGIC', 'UNSUPPORTED_VERSION', 'SCHEMA'] : ['TRUNCATED', 'TRAILING_BYTES', 'INTEGRITY'];
    refused(full.subarray(0, n), codes);
    const longer = new Uint8Array(full.length + extra.length);
    longer.set(full);
    longer.set(extra, full.length);
    return refused(longer, ['TRAILING_BYTES', 'BAD_SIGNATURE', 'TOO_LARGE']);
  }), params);
});

test('lying counts: nnz, value bytes, dims', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 2 }), fc.integer({ min: -1000, max: 1000 }).filter((d) => d !== 0), fc.constantFrom('nnz', 'values', 'dims'), (k, delta, field) => {
    const t = tree(), d = diff(t, k);
    if (field === 'nnz') d.set('nnz', Math.max(0, (d.get('nnz') as number) + delta));
    if (field === 'values') {
      const v = d.get('values') as Buffer;
      d.set('values', delta > 0 ? Buffer.concat([v, Buffer.alloc(delta)]) : v.subarray(0, Math.max(0, v.length + delta)));
    }
    if (field === 'dims') d.set('dims', [Math.max(1, (d.get('dims') as number[])[0] + delta), ...(d.get('dims') as number[]).slice(1)]);
    if (field === 'nnz' && d.get('nnz') === diff(tree(), k).get('nnz')) return true;
    if (field === 'values' && (d.get('values') as Buffer).length === (diff(tree(), k).get('values') as Buffer).length) return true;
    const codes: PackErrorCode[] = field === 'dims' ? ['COUNT_MISMATCH', 'INDEX_OUT_OF_RANGE', 'NON_CANONICAL', 'SHAPE_MISMATCH'] : ['COUNT_MISMATCH'];
    return refused(reseal(t), codes);
  }), params);
});

test('out-of-range and unsorted indices', () => {
  fc.assert(fc.property(fc.nat(), fc.constantFrom('range', 'repeat', 'back'), fc.integer({ min: 0, max: 1e6 }), (pick, how, amount) => {
    const { t, d, gaps } = gapDiff();
    const k = pick % gaps.length;
    const numel = 8 * 24;
    const before = gaps.slice(0, k).reduce((a, g) => a + g, -1);
    if (how === 'range') gaps[k] = numel - before + amount; // index k lands at numel + amount
    if (how === 'repeat') gaps[k] = 0;
    if (how === 'back') { gaps[k] = 0; gaps.splice(k, 0, 0); }
    d.set('indices', varints(gaps));
    d.set('nnz', how === 'back' ? gaps.length : d.get('nnz'));
    if (how === 'back') d.set('values', Buffer.concat([d.get('values') as Buffer, Buffer.alloc(2)]));
    return refused(reseal(t), how === 'range' ? ['INDEX_OUT_OF_RANGE'] : ['INDEX_NOT_INCREASING']);
  }), params);
});

test('NaN and ±Infinity in values, scales and the head', () => {
  const nanF32 = fc.oneof(fc.constant(0x7f800000), fc.constant(0xff800000), fc.integer({ min: 0x7f800001, max: 0x7fffffff }), fc.integer({ min: 0xff800001, max: 0xffffffff }));
  fc.assert(fc.property(fc.constantFrom('float16', 'float32', 'scale', 'dense'), fc.nat(), nanF32, fc.integer({ min: 0, max: 0x3ff }), (where, pick, bits32, mant16) => {
    const t = tree();
    if (where === 'float16') {
      const v = Buffer.from(diff(t, 0).get('values') as Buffer);
      v.writeUInt16LE(0x7c00 | mant16 | (pick & 1 ? 0x8000 : 0), 2 * (pick % (v.length / 2)));
      diff(t, 0).set('values', v);
    } else if (where === 'float32') {
      const v = Buffer.from(diff(t, 2).get('values') as Buffer);
      v.writeUInt32LE(bits32 >>> 0, 4 * (pick % (v.length / 4)));
      diff(t, 2).set('values', v);
    } else if (where === 'scale') {
      diff(t, 1).set('scale', [NaN, Infinity, -Infinity][pick % 3]);
    } else {
      const head = (t.get('dense') as Tree[])[pick % 2];
      const v = Buffer.from(head.get('values') as Buffer);
      v.writeUInt32LE(bits32 >>> 0, 4 * (pick % (v.length / 4)));
      head.set('values', v);
    }
    return refused(reseal(t), ['NON_FINITE']);
  }), params);
});

test('wrong base fingerprint (and malformed ones)', () => {
  fc.assert(fc.property(fc.stringMatching(/^[0-9a-f]{64}$/), fc.string({ maxLength: 80 }), (hex, junk) => {
    const t = tree();
    (t.get('base') as Tree).set('fingerprint', hex);
    if (hex !== base.fingerprint) refused(reseal(t), ['BASE_MISMATCH']);
    (t.get('base') as Tree).set('fingerprint', junk);
    return /^[0-9a-f]{64}$/.test(junk) || refused(reseal(t), ['SCHEMA', 'LIMIT']);
  }), params);
});

test('huge declared lengths: counts and dims are bounded before allocation', () => {
  fc.assert(fc.property(fc.constantFrom('nnz', 'dims', 'rank', 'maxLength'), fc.integer({ min: 2 ** 31 + 1, max: Number.MAX_SAFE_INTEGER }), (field, huge) => {
    const t = tree(), d = diff(t, 0);
    if (field === 'nnz') d.set('nnz', huge);
    if (field === 'dims') d.set('dims', [huge % 2 ** 20 + 2 ** 16, huge % 2 ** 20 + 2 ** 16]);
    if (field === 'rank') d.set('dims', Array.from({ length: 9 + (huge % 20) }, () => 1));
    if (field === 'maxLength') (t.get('task') as Tree).set('maxLength', huge);
    return refused(reseal(t), ['LIMIT']);
  }), params);
});

test('msgpack headers declaring huge lengths inside the body: MALFORMED, no allocation', () => {
  const header = fc.oneof(
    fc.integer({ min: 1e6, max: 0xffffffff }).map((n) => [0xc6, n]), // bin32
    fc.integer({ min: 1e6, max: 0xffffffff }).map((n) => [0xdb, n]), // str32
    fc.integer({ min: 1e6, max: 0xffffffff }).map((n) => [0xdd, n]), // array32
    fc.integer({ min: 1e6, max: 0xffffffff }).map((n) => [0xdf, n]), // map32
  );
  fc.assert(fc.property(fc.constantFrom('diffs', 'task', 'labels'), header, fc.uint8Array({ maxLength: 64 }), (key, [tag, n], tail) => {
    const h = Buffer.alloc(5);
    h[0] = tag;
    h.writeUInt32BE(n, 1);
    const body = Buffer.concat([Buffer.from([0x81, 0xa0 | key.length]), Buffer.from(key), h, tail]);
    return refused(seal(body), ['MALFORMED']);
  }), params);
});

test('any field replaced by any msgpack value (v1 and v2 fields): a PackError or a valid pack, never a crash', () => {
  const paths: (string | number)[][] = [
    ['base'], ['base', 'id'], ['task'], ['task', 'labels'], ['task', 'type'], ['task', 'createdAt'], ['provenance', 'hyperParameters'],
    ['provenance', 'devMetrics'], ['diffs'], ['diffs', 0], ['diffs', 1, 'indexEncoding'], ['diffs', 2, 'valueEncoding'], ['dense', 0, 'dims'], ['dense'],
  ];
  const value = fc.oneof(fc.anything({ maxDepth: 2, withMap: true, withNullPrototype: true }), fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)), fc.double());
  fc.assert(fc.property(fc.constantFrom(...paths, ...V2_PATHS), value, (path, v) => {
    const t = tree(V2_KEYS.has(String(path[0])) ? v2Unsigned('houlsby') : unsigned);
    const parent = at(t, ...path.slice(0, -1)), key = path[path.length - 1];
    if (parent instanceof Map) parent.set(key as string, v);
    else (parent as unknown[])[key as number] = v;
    let bytes: Uint8Array;
    try { bytes = reseal(t); } catch { return true; } // a value msgpackr cannot encode
    try {
      decodePack(bytes, { base });
      return true;
    } catch (e) {
      if (!(e instanceof PackError)) throw e;
      return refused(bytes, [e.code]);
    }
  }), params);
});

test('random bodies with a valid digest: MALFORMED or a schema error, never a crash', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (body) => {
    try {
      decodePack(seal(body));
      return false;
    } catch (e) {
      if (!(e instanceof PackError)) throw e;
      return refused(seal(body), ['MALFORMED', 'SCHEMA']);
    }
  }), params);
});

test('non-canonical encodings: a bitmap where gaps are smaller, overlong varints, unsorted map keys', () => {
  fc.assert(fc.property(fc.constantFrom('bitmap', 'overlong', 'keys'), fc.nat(), (how, pick) => {
    const { t, d, gaps } = gapDiff();
    if (how === 'bitmap') {
      const bm = Buffer.alloc(24);
      let i = -1;
      for (const g of gaps) { i += g; bm[i >> 3] |= 1 << (i & 7); }
      d.set('indexEncoding', 'bitmap');
      d.set('indices', bm);
    }
    if (how === 'overlong') {
      const bytes = [...varints(gaps)];
      const k = pick % gaps.length;
      let pos = 0;
      for (let j = 0; j < k; j++) while (bytes[pos++] & 0x80);
      bytes.splice(pos, 1, bytes[pos] | 0x80, 0x00); // a gap < 128 written in two bytes
      d.set('indices', Buffer.from(bytes));
    }
    if (how === 'keys') (t.get('provenance') as Tree).set('devMetrics', new Map([['zeta', 1], ['alpha', 2]]));
    return refused(reseal(t), ['NON_CANONICAL']);
  }), params);
});

/** The body with the value at `path` replaced by raw msgpack bytes (through a marker string). */
function spliced(t: Tree, path: (string | number)[], raw: Uint8Array): Uint8Array {
  const marker = '\u0001fuzz-splice-marker\u0002';
  const parent = at(t, ...path.slice(0, -1)), key = path[path.length - 1];
  if (parent instanceof Map) parent.set(key as string, marker);
  else (parent as unknown[])[key as number] = marker;
  const body = Buffer.from(packr.pack(asWritten(t)));
  const m = Buffer.from(packr.pack(marker)), i = body.indexOf(m);
  return seal(Buffer.concat([body.subarray(0, i), raw, body.subarray(i + m.length)]), undefined, t.has('kind') ? 2 : 1);
}
const FIELDS: (string | number)[][] = [
  ['base'], ['base', 'id'], ['task', 'labels'], ['task', 'labels', 0], ['task', 'maxLength'], ['provenance', 'hyperParameters'],
  ['diffs'], ['diffs', 0], ['diffs', 1, 'nnz'], ['diffs', 1, 'dims'], ['diffs', 1, 'dims', 0], ['diffs', 2, 'values'], ['dense', 0, 'values'], ['dense', 1],
  ['kind'], ['module'], ['module', 'bottleneck'], ['modules'], ['modules', 0], ['modules', 1, 'dims'], ['modules', 2, 'values'], ['modules', 3, 'scale'],
];
/** The pack whose tree a field path is taken from: v2 fields from the Houlsby pack. */
const treeFor = (path: (string | number)[]) => tree(V2_KEYS.has(String(path[0])) ? v2Unsigned('houlsby') : unsigned);

test('msgpack extensions of every type, anywhere: refused before msgpackr decodes them', () => {
  const ext = fc.tuple(fc.constantFrom(0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xc7, 0xc8, 0xc9), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 40 }))
    .map(([tag, type, payload]) => {
      const fixed = ({ 0xd4: 1, 0xd5: 2, 0xd6: 4, 0xd7: 8, 0xd8: 16 } as Record<number, number>)[tag];
      const data = fixed === undefined ? payload : Buffer.concat([payload, Buffer.alloc(16)]).subarray(0, fixed);
      const len = fixed === undefined ? [tag === 0xc7 ? [data.length] : tag === 0xc8 ? [0, data.length] : [0, 0, 0, data.length]].flat() : [];
      return Buffer.concat([Buffer.from([tag, ...len, type]), data]);
    });
  fc.assert(fc.property(fc.constantFrom(...FIELDS), ext, fc.uint8Array({ maxLength: 40 }), (path, raw, tail) => {
    // The extension alone, or followed by bytes it might claim (msgpackr's references read on past their header).
    refused(spliced(treeFor(path), path, raw), ['MALFORMED']);
    return refused(spliced(treeFor(path), path, Buffer.concat([raw, tail])), ['MALFORMED']);
  }), params);
});

test('references, records and repeated values: a shared diff is refused, copies cost their bytes', () => {
  fc.assert(fc.property(fc.integer({ min: 2, max: 200 }), fc.constantFrom('structuredClone', 'records', 'copies'), (times, how) => {
    const t = tree();
    const shared = asWritten((t.get('diffs') as Tree[])[2]); // one object, so the writer can reference it
    t.set('diffs', Array.from({ length: times }, () => shared));
    if (how === 'copies') return refused(reseal(t), ['DUPLICATE_TENSOR']);
    const writer = new Packr(how === 'structuredClone' ? { structuredClone: true, useRecords: false } : { useRecords: true });
    return refused(seal(writer.pack(asWritten(t))), ['MALFORMED']);
  }), params);
});

test('repeated map keys and non-canonical numbers and headers: NON_CANONICAL, one content has one id', () => {
  const record = fc.constantFrom<(string | number)[]>([], ['base'], ['task'], ['provenance'], ['diffs', 0], ['dense', 1]);
  const integer = fc.constantFrom<(string | number)[]>(['task', 'maxLength'], ['diffs', 0, 'nnz'], ['diffs', 1, 'dims', 0], ['dense', 0, 'dims', 1]);
  fc.assert(fc.property(fc.constantFrom('repeat', 'float64', 'float32', 'wide-int', 'wide-str'), record, integer, fc.nat(), (how, rec, num, pick) => {
    const t = tree();
    if (how === 'repeat') {
      // One key written twice with the same value: a map that decodes like the original.
      const value = asWritten(rec.length ? at(t, ...rec) : t) as Record<string, unknown>;
      const keys = Object.keys(value), twice = keys[pick % keys.length];
      const entries = [...keys, twice].map((k) => Buffer.concat([packr.pack(k), packr.pack(value[k])]));
      const raw = Buffer.concat([Buffer.from([0xde, 0, keys.length + 1]), ...entries]);
      return refused(rec.length ? spliced(t, rec, raw) : seal(raw), ['NON_CANONICAL']);
    }
    if (how === 'wide-str') return refused(spliced(t, ['base', 'id'], Buffer.concat([Buffer.from([0xd9, 14]), Buffer.from('synthetic-tiny')])), ['NON_CANONICAL']);
    const n = at(t, ...num) as number;
    const raw = Buffer.alloc(how === 'float64' ? 9 : 5);
    if (how === 'float64') { raw[0] = 0xcb; raw.writeDoubleBE(n, 1); }
    if (how === 'float32') { raw[0] = 0xca; raw.writeFloatBE(n, 1); }
    if (how === 'wide-int') { raw[0] = 0xce; raw.writeUInt32BE(n, 1); }
    return refused(spliced(t, num, raw), ['NON_CANONICAL']);
  }), params);
});

test('module tensors that lie: dims, value bytes, names, scales (v2)', () => {
  fc.assert(fc.property(fc.constantFrom<keyof typeof V2>('lora', 'houlsby'), fc.nat(), fc.constantFrom('dims', 'values', 'rename', 'drop', 'scale', 'encoding'), fc.integer({ min: -64, max: 64 }).filter((d) => d !== 0),
    (which, pick, how, delta) => {
      const t = tree(v2Unsigned(which)), modules = t.get('modules') as Tree[], m = modules[pick % modules.length];
      const dims = m.get('dims') as number[], values = m.get('values') as Buffer;
      if (how === 'dims') m.set('dims', [Math.max(1, dims[0] + delta), ...dims.slice(1)]);
      if (how === 'values') m.set('values', delta > 0 ? Buffer.concat([values, Buffer.alloc(delta)]) : values.subarray(0, Math.max(0, values.length + delta)));
      if (how === 'rename') m.set('name', `${m.get('name')}`.replace(/l0/, `l${Math.abs(delta)}`));
      if (how === 'drop') modules.splice(pick % modules.length, 1);
      if (how === 'scale') m.set('scale', [0, -1, 1e-50, NaN, Infinity][pick % 5]);
      if (how === 'encoding') {
        const encoding = ['float32', 'float16', 'int8', 'int4'][pick % 4];
        if (encoding === m.get('valueEncoding')) return true;
        m.set('valueEncoding', encoding);
      }
      if (how === 'dims' && dims[0] + delta < 1 && dims[0] === 1) return true; // clamped back to the same shape
      const codes: Record<string, PackErrorCode[]> = {
        dims: ['COUNT_MISMATCH', 'SHAPE_MISMATCH'], values: ['COUNT_MISMATCH'], rename: ['MODULE_MISMATCH', 'SCHEMA'], drop: ['SCHEMA'],
        scale: ['SCHEMA', 'NON_FINITE'], encoding: ['SCHEMA', 'COUNT_MISMATCH'],
      };
      return refused(reseal(t), codes[how]);
    }), params);
});

test('module specs with any numbers and strings (v2): bounded, typed, matching the tensors', () => {
  fc.assert(fc.property(fc.constantFrom<keyof typeof V2>('lora', 'houlsby'), fc.oneof(fc.integer({ min: -10, max: 10_000 }), fc.double(), fc.string({ maxLength: 12 })), fc.nat(),
    (which, v, pick) => {
      const t = tree(v2Unsigned(which)), spec = t.get('module') as Tree;
      const key = which === 'lora' ? ['rank', 'alpha', 'targets', 'kind'][pick % 4] : ['bottleneck', 'variant', 'kind'][pick % 3];
      const before = spec.get(key);
      spec.set(key, v);
      if (Object.is(before, v)) return true;
      // Only a new alpha can be valid (it scales the update; the tensors' shapes do not depend on it).
      if (key === 'alpha' && typeof v === 'number' && v > 0 && v <= 65536 && Number.isFinite(v)) {
        try { return decodePack(reseal(t), { base }).module?.kind === 'lora'; } catch (e) { return refused(reseal(t), [(e as PackError).code]) && (e as PackError).code === 'NON_CANONICAL'; }
      }
      return refused(reseal(t), ['SCHEMA', 'LIMIT', 'NON_FINITE', 'SHAPE_MISMATCH', 'MODULE_MISMATCH', 'NON_CANONICAL']);
    }), params);
});

test('prototype pollution: __proto__ keys stay data', () => {
  fc.assert(fc.property(fc.constantFrom('__proto__', 'constructor', 'prototype'), fc.double({ noNaN: true, noDefaultInfinity: true }), (key, v) => {
    const t = tree();
    (t.get('provenance') as Tree).set('hyperParameters', new Map([[key, v]]));
    const decoded = decodePack(reseal(t), { base });
    assert.ok(Object.prototype.hasOwnProperty.call(decoded.provenance.hyperParameters, key));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    t.set(key, new Map([['polluted', true]]));
    refused(reseal(t), ['SCHEMA']);
    return ({} as Record<string, unknown>).polluted === undefined && Object.getPrototypeOf(decoded.provenance.hyperParameters) === Object.prototype;
  }), params);
});

test('the fuzzer ran the cases it was asked for', (t) => {
  assert.ok(cases >= Math.min(2000, RUNS * 8), `${cases} refused cases`);
  if (MEASURE) {
    t.diagnostic(`decodes measured: ${worst.decodes}${gc ? '' : ' (no --expose-gc: heap figures include earlier garbage)'}`);
    t.diagnostic(`slowest decode: ${worst.ms.toFixed(2)} ms (a ${worst.msBytes}-byte pack)`);
    t.diagnostic(`most heap grown in one decode: ${worst.mb.toFixed(2)} MB (a ${worst.mbBytes}-byte pack)`);
  }
});
