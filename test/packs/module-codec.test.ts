/**
 * Format version 2 (issue 27): LoRA and adapter packs round-trip byte for byte, a v1 pack
 * still reads (as kind 'diff') and re-encodes as v1, and the strict decoder refuses a
 * malformed or hostile module pack with a specific error, with and without a base.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { Packr } from 'msgpackr';
import type { ModuleSpec } from '../../src-main/model/modules.js';
import { decodePack, encodePack } from '../../src-main/packs/codec.js';
import { PackError, type PackErrorCode } from '../../src-main/packs/errors.js';
import { LIMITS, type PackContent } from '../../src-main/packs/format.js';
import { bodyOf } from '../../src-main/packs/schema.js';
import { GOLDEN_PATH, goldenKey, moduleContent, seal, syntheticBase, TINY } from '../../support/pack-fixtures.js';

const packr = new Packr({ moreTypes: true, useRecords: false });
const base = syntheticBase();
const SPECS: ModuleSpec[] = [
  { kind: 'lora', rank: 2, alpha: 16, targets: 'qv' },
  { kind: 'lora', rank: 4, alpha: 8, targets: 'all' },
  { kind: 'adapter', variant: 'houlsby', bottleneck: 3 },
  { kind: 'adapter', variant: 'pfeiffer', bottleneck: 2 },
];

function refuses(bytes: Uint8Array, code: PackErrorCode, message: RegExp, withBase = false) {
  assert.throws(() => decodePack(bytes, withBase ? { base } : {}), (e) => e instanceof PackError && e.code === code && message.test(e.message),
    `expected ${code} ${message}`);
}
/** The v2 body of `c` re-sealed after `edit` changed it (as a plain object tree). */
function edited(c: PackContent, edit: (body: Record<string, any>) => void): Uint8Array {
  const body = bodyOf(c) as Record<string, any>;
  edit(body);
  return seal(packr.pack(body), undefined, 2);
}

test('every kind round-trips byte for byte, signed and unsigned; the header says version 2', () => {
  for (const spec of SPECS) {
    for (const encoding of ['int8', 'float16', 'float32'] as const) {
      const content = moduleContent(spec, { encoding });
      const bytes = encodePack(content);
      assert.equal(new DataView(bytes.buffer).getUint16(8, true), 2);
      const decoded = decodePack(bytes, { base });
      assert.deepEqual(decoded, content);
      assert.deepEqual(encodePack(decoded), bytes);
      const signed = encodePack(content, { signWith: goldenKey() });
      assert.deepEqual(encodePack(decodePack(signed)), signed);
    }
  }
  // Houlsby's LayerNorm changes travel as diffs at every position; LoRA and Pfeiffer change no base tensor.
  const houlsby = moduleContent(SPECS[2]);
  assert.deepEqual(houlsby.diffs.map((d) => d.name).sort(), ['l0.ln1.b', 'l0.ln1.g', 'l0.ln2.b', 'l0.ln2.g']);
  assert.ok(houlsby.diffs.every((d) => d.indices.length === 8));
  assert.equal(moduleContent(SPECS[0]).diffs.length, 0);
});

test('a version-1 pack reads as kind diff and re-encodes as version 1; a diff pack is never written as version 2', () => {
  const golden = new Uint8Array(readFileSync(GOLDEN_PATH()));
  const decoded = decodePack(golden, { base });
  assert.equal(decoded.kind, 'diff');
  assert.equal('module' in decoded, false);
  assert.deepEqual(decoded.modules, []);
  assert.deepEqual(encodePack(decoded), golden);
  const asV2 = edited(decoded, (b) => Object.assign(b, { kind: 'diff', module: null, modules: [] }));
  refuses(asV2, 'NON_CANONICAL', /a 'diff' pack is written as format version 1, not 2/);
  // A module pack's body under a version-1 header: the v1 schema has no such keys.
  const lora = bodyOf(moduleContent(SPECS[0]));
  refuses(seal(packr.pack(lora)), 'SCHEMA', /pack has an unknown key "kind"/);
  assert.throws(() => encodePack({ ...decoded, modules: moduleContent(SPECS[0]).modules }), /a diff pack has no module spec or module tensors/);
});

test('kind and module spec: bad kinds, mismatched specs, ranks and alphas out of bounds', () => {
  const lora = moduleContent(SPECS[0]), adapter = moduleContent(SPECS[3]);
  refuses(edited(lora, (b) => (b.kind = 'prefix')), 'SCHEMA', /pack\.kind is 'prefix', not one of diff, lora, adapter/);
  refuses(edited(lora, (b) => (b.kind = 'adapter')), 'SCHEMA', /pack\.module\.kind is 'lora' in a 'adapter' pack/);
  refuses(edited(lora, (b) => (b.module = null)), 'SCHEMA', /pack\.module must be a map, got nil/);
  refuses(edited(lora, (b) => (b.module.kind = 'ia3')), 'SCHEMA', /pack\.module\.kind is 'ia3'/);
  refuses(edited(lora, (b) => (b.module.extra = 1)), 'SCHEMA', /pack\.module has an unknown key "extra"/);
  refuses(edited(lora, (b) => (b.module.targets = 'q')), 'SCHEMA', /pack\.module\.targets is 'q', not one of qv, all/);
  refuses(edited(lora, (b) => (b.module.rank = 0)), 'SCHEMA', /pack\.module\.rank is 0, outside 1…4096/);
  refuses(edited(lora, (b) => (b.module.rank = LIMITS.moduleWidth + 1)), 'LIMIT', /pack\.module\.rank is 4097/);
  refuses(edited(lora, (b) => (b.module.rank = 2.5)), 'SCHEMA', /pack\.module\.rank must be an integer/);
  refuses(edited(lora, (b) => (b.module.alpha = -1)), 'SCHEMA', /pack\.module\.alpha is -1/);
  refuses(edited(lora, (b) => (b.module.alpha = NaN)), 'NON_FINITE', /pack\.module\.alpha is NaN/);
  refuses(edited(lora, (b) => (b.module.alpha = 1e9)), 'LIMIT', /alpha is 1000000000, outside/);
  refuses(edited(adapter, (b) => (b.module.variant = 'lora')), 'SCHEMA', /pack\.module\.variant is 'lora', not one of houlsby, pfeiffer/);
  refuses(edited(adapter, (b) => (b.module.bottleneck = 1e7)), 'LIMIT', /pack\.module\.bottleneck is 10000000/);
});

test('module tensors: names, whole groups and shapes agree with the spec, without a base', () => {
  const lora = moduleContent(SPECS[0]), houlsby = moduleContent(SPECS[2]), pfeiffer = moduleContent(SPECS[3]);
  const rename = (c: PackContent, i: number, name: string) => edited(c, (b) => (b.modules[i].name = name));
  refuses(rename(lora, 0, 'lora.l0.attn.x.a'), 'SCHEMA', /module 'lora\.l0\.attn\.x\.a' is not a lora tensor name/);
  refuses(rename(lora, 0, 'adapter.l0.ffn.out.down.w'), 'SCHEMA', /is not a lora tensor name/);
  refuses(rename(lora, 0, 'lora.l0.ffn.in.a'), 'SCHEMA', /targets 'qv' adapts only the query and value projections/);
  refuses(rename(pfeiffer, 0, 'adapter.l0.attn.out.down.w'), 'SCHEMA', /a Pfeiffer adapter sits only after the feed-forward output/);
  refuses(edited(lora, (b) => b.modules.splice(1, 1)), 'SCHEMA', /lora l0\.attn\.q: 'b' missing/);
  refuses(edited(houlsby, (b) => (b.modules = [])), 'SCHEMA', /a adapter pack holds no module tensors/);
  refuses(edited(lora, (b) => b.modules.push(b.modules[0])), 'DUPLICATE_TENSOR', /tensor 'lora\.l0\.attn\.q\.a' appears twice/);
  // A rank-3 factor in a rank-2 pack (values resized, so only the shape lies).
  refuses(edited(lora, (b) => Object.assign(b.modules[0], { dims: [8, 3], values: Buffer.alloc(24) })), 'SHAPE_MISMATCH', /'lora\.l0\.attn\.q\.a' has shape \[8, 3\]; with rank 2 it must be \[8, 2\]/);
  refuses(edited(houlsby, (b) => Object.assign(b.modules[1], { dims: [4], values: Buffer.alloc(4) })), 'SHAPE_MISMATCH', /down\.b' has shape \[4\]; with bottleneck 3 it must be \[3\]/);
  // Value bytes that do not fill the shape; NaN in a float32 module.
  refuses(edited(lora, (b) => (b.modules[0].values = Buffer.alloc(3))), 'COUNT_MISMATCH', /module 'lora\.l0\.attn\.q\.a': 3 bytes of int8 values for shape \[8, 2\] \(needs 16\)/);
  const f32 = moduleContent(SPECS[0], { encoding: 'float32' });
  refuses(edited(f32, (b) => b.modules[1].values.writeUInt32LE(0x7fc00000, 4)), 'NON_FINITE', /module 'lora\.l0\.attn\.q\.b': value #1 is NaN/);
  refuses(edited(lora, (b) => (b.modules[0].dims = [2 ** 16, 2 ** 16])), 'LIMIT', /dims \[65536, 65536\] hold 4294967296 values/);
  refuses(edited(lora, (b) => (b.modules[0].scale = null)), 'SCHEMA', /scale must be a number for int8, got nil/);
});

test('against a base: exactly moduleShapes(spec, base), widths that fit, diffs only where the method trains', () => {
  const expectBase = (c: PackContent, code: PackErrorCode, message: RegExp) =>
    assert.throws(() => decodePack(encodePack(c), { base }), (e) => e instanceof PackError && e.code === code && message.test(e.message), `${code} ${message}`);
  const lora = moduleContent(SPECS[1]);
  // A target the spec gives on this base left out (the group is whole, so only the base knows).
  expectBase({ ...lora, modules: lora.modules.filter((t) => !t.name.startsWith('lora.l0.ffn.out')) }, 'MODULE_MISMATCH', /module 'lora\.l0\.ffn\.out\.a' is missing/);
  // A layer the base does not have.
  const extra = lora.modules.filter((t) => t.name.startsWith('lora.l0.attn.q.')).map((t) => ({ ...t, name: t.name.replace('l0.', 'l7.') }));
  expectBase({ ...lora, modules: [...lora.modules, ...extra] }, 'MODULE_MISMATCH', /module 'lora\.l7\.attn\.q\.a': a LoRA r 4 α 8 \(all\) pack on this base has no such tensor/);
  // Hidden size 8, rank 9: shapes agree with each other but not with what the base's layers are.
  const wide = moduleContent({ kind: 'lora', rank: 4, alpha: 8, targets: 'qv' }, { base: syntheticBase({ ...TINY, hidden: 12 }) });
  expectBase({ ...wide, base: lora.base }, 'MODULE_MISMATCH', /module 'lora\.l0\.attn\.q\.a': shape \[12, 4\], this base needs \[8, 4\]/);
  const tooWide = { ...moduleContent({ kind: 'adapter', variant: 'pfeiffer', bottleneck: 9 }, { base: syntheticBase({ ...TINY, hidden: 12 }) }), base: lora.base };
  expectBase(tooWide, 'CANNOT_HOST', /this base cannot host a Pfeiffer adapter \(bottleneck 9\) pack: adapter bottleneck 9 is wider than the 8 it adapts after 'l0\.ffn\.out'/);
  const highRank = { ...moduleContent({ kind: 'lora', rank: 9, alpha: 9, targets: 'qv' }, { base: syntheticBase({ ...TINY, hidden: 12 }) }), base: lora.base };
  expectBase(highRank, 'CANNOT_HOST', /LoRA r 9 α 9 \(qv\) pack: LoRA rank 9 is wider than the 8 of 'l0\.attn\.q' \[8, 8\]/);
  const houlsby = moduleContent(SPECS[2]), pfeiffer = moduleContent(SPECS[3]);
  expectBase({ ...pfeiffer, diffs: houlsby.diffs }, 'MODULE_MISMATCH', /diff 'l0\.ln1\.g': a Pfeiffer adapter \(bottleneck 2\) pack changes no base tensor/);
  const qkv = moduleContent(SPECS[0], { seed: 4 });
  const otherDiff = { ...houlsby.diffs[0], name: 'l0.attn.qkv.b', dims: [24], indices: Uint32Array.of(0), values: { encoding: 'float32' as const, data: Float32Array.of(0.5) } };
  expectBase({ ...houlsby, diffs: [...houlsby.diffs, otherDiff] }, 'MODULE_MISMATCH', /diff 'l0\.attn\.qkv\.b': a Houlsby adapter \(bottleneck 3\) pack changes only the layers' LayerNorms/);
  // A base that cannot host: no fused QKV (nor q/v weights) for LoRA to adapt.
  const noQkv = { fingerprint: qkv.base.fingerprint, shapes: new Map([...base.weights].filter(([n]) => !n.includes('qkv')).map(([n, t]) => [n, t.dims])) };
  assert.throws(() => decodePack(encodePack(qkv), { base: noQkv }), (e) => e instanceof PackError && e.code === 'CANNOT_HOST' && /this base cannot host a LoRA r 2 α 16 \(qv\) pack: the base has no weight 'l0\.attn\.q\.w'/.test(e.message));
});
