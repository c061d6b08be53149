/**
 * Synthetic bases and packs for the pack tests. Built from the seeded xoshiro stream with
 * integer arithmetic and one division only (no log/cos), so the golden pack's content is
 * reproducible on any engine, forever.
 */
import { createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { encoderParamShapes, headParamShapes, type EncoderConfig } from '../src-main/model/encoder.js';
import { initModules, moduleBaseTensors, moduleShapes, type ModuleSpec } from '../src-main/model/modules.js';
import { weightsFingerprint, type WeightTensor, type Weights } from '../src-main/model/weights.js';
import { decodePack, encodePack } from '../src-main/packs/codec.js';
import { DIGEST_BYTES, HEADER_BYTES, numelOf, PACK_MAGIC, type PackContent } from '../src-main/packs/format.js';
import { sparseDiffFromDense } from '../src-main/packs/sparse.js';
import { quantize, type ValueEncoding } from '../src-main/packs/values.js';
import { projectRoot } from '../src-main/paths.js';
import { Rng } from '../src-main/util/rng.js';

export const GOLDEN_PATH = () => join(projectRoot(), 'test', 'fixtures', 'packs', 'golden-v1.taskpack');

export const TINY: EncoderConfig = { vocab: 16, hidden: 8, layers: 1, heads: 2, ffn: 16, maxLen: 8, classes: 3 };

const uniformArray = (rng: Rng, n: number, scale: number) => Float32Array.from({ length: n }, () => (rng.uniform() - 0.5) * scale);

export interface SyntheticBase {
  id: string;
  fingerprint: string;
  weights: Weights;
}

/** A base with the encoder's parameter names and shapes (LayerNorm γ = 1 + small noise). */
export function syntheticBase(config: EncoderConfig = TINY, seed = 1, id = 'synthetic-tiny'): SyntheticBase {
  const rng = new Rng(seed);
  const weights = new Map<string, WeightTensor>();
  for (const [name, dims] of Object.entries(encoderParamShapes(config))) {
    const data = uniformArray(rng, dims.reduce((a, b) => a * b, 1), 0.2);
    if (name.endsWith('.g')) data.forEach((v, i) => (data[i] = 1 + v));
    weights.set(name, { dims, data });
  }
  return { id, fingerprint: weightsFingerprint(weights), weights };
}

/** Copy of the base with `count` positions of `name` moved by a uniform δ. */
export function perturb(weights: Weights, rng: Rng, picks: Record<string, number>, scale = 0.05): Map<string, WeightTensor> {
  const tuned = new Map<string, WeightTensor>();
  for (const [name, t] of weights) tuned.set(name, { dims: t.dims, data: Float32Array.from(t.data) });
  for (const [name, count] of Object.entries(picks)) {
    const data = tuned.get(name)!.data;
    for (let c = 0; c < count; c++) data[rng.int(data.length)] += (rng.uniform() - 0.5) * scale;
  }
  return tuned;
}

/** The Ed25519 key that signs the golden pack (from a fixed 32-byte seed: PKCS#8 prefix + seed). */
export function goldenKey(): KeyObject {
  const seed = Buffer.alloc(32, 0).map((_, i) => (i * 37 + 11) & 0xff);
  return createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
}

/** Pack content over syntheticBase(): float32, float16 and int8 values; gap and bitmap indices; a dense head. */
export function goldenContent(): PackContent {
  const base = syntheticBase();
  const rng = new Rng(7);
  const head = {
    'head.w': { dims: [TINY.hidden, TINY.classes], data: uniformArray(rng, TINY.hidden * TINY.classes, 0.4) },
    'head.b': { dims: [TINY.classes], data: uniformArray(rng, TINY.classes, 0.1) },
  };
  const pick = (name: string, count: number, encoding: 'float32' | 'float16' | 'int8') => {
    const tuned = perturb(base.weights, rng, { [name]: count });
    return sparseDiffFromDense(base.weights, { [name]: tuned.get(name)! }, { encoding }).diffs;
  };
  return {
    base: { id: base.id, fingerprint: base.fingerprint },
    task: {
      name: 'golden sentiment', description: 'A fixed pack for the v1 byte-level test.', type: 'classification',
      labels: ['negative', 'neutral', 'positive'], inputColumns: ['sentence'], maxLength: 8, tokenizer: 'synthetic-tiny/tokenizer.json',
      appVersion: '0.1.0', createdAt: '2026-01-01T00:00:00.000Z',
    },
    provenance: {
      method: 'diff-structured', hyperParameters: { epochs: 3, lambda: 1.25e-7, sparsity: 0.005, structured: true, seed: 42, optimizer: 'adamw' },
      trainingData: 'c0ffee'.padEnd(64, '0'), devMetrics: { accuracy: 0.875, f1: 0.8611 },
    },
    kind: 'diff',
    diffs: [
      ...pick('l0.attn.qkv.w', 10, 'float16'), // 192 values, 10 nonzeros → gaps
      ...pick('l0.ffn.in.w', 60, 'int8'), //       128 values, ~50 nonzeros → bitmap
      ...pick('emb.ln.b', 3, 'float32'),
    ],
    modules: [],
    dense: Object.entries(head).map(([name, t]) => ({ name, ...t })),
  };
}

/**
 * A module pack over `base` (default syntheticBase()): the module tensors at their papers'
 * initialisation plus a uniform perturbation (so LoRA's zero B is not zero), Houlsby's
 * LayerNorms changed at every position (dense-indexed diffs), a random head of `headShapes`.
 */
export function moduleContent(spec: ModuleSpec, o: { base?: SyntheticBase; headShapes?: Record<string, number[]>; seed?: number; encoding?: ValueEncoding; scale?: number } = {}): PackContent {
  const base = o.base ?? syntheticBase(), rng = new Rng(o.seed ?? 3), scale = o.scale ?? 0.2;
  const shapes = moduleShapes(spec, Object.fromEntries([...base.weights].map(([n, t]) => [n, [...t.dims]])));
  const modules = Object.entries(initModules(spec, shapes, rng)).map(([name, data]) => ({
    name, dims: shapes[name], values: quantize(data.map((v) => v + (rng.uniform() - 0.5) * scale), o.encoding ?? 'int8', name),
  }));
  const tuned = new Map(moduleBaseTensors(spec, [...base.weights.keys()]).map((n) => {
    const t = base.weights.get(n)!;
    return [n, { dims: t.dims, data: t.data.map((v) => v + (rng.uniform() - 0.5) * scale) }];
  }));
  const { diffs } = sparseDiffFromDense(base.weights, tuned, { encoding: o.encoding });
  const dense = Object.entries(o.headShapes ?? headParamShapes(TINY)).map(([name, dims]) => ({ name, dims, data: uniformArray(rng, numelOf(dims), 0.8) }));
  const golden = goldenContent();
  const labels = golden.task.labels.slice(0, dense.find((t) => t.name === 'head.b')!.dims[0]);
  return {
    ...golden, base: { id: base.id, fingerprint: base.fingerprint }, task: { ...golden.task, name: `${spec.kind} task`, labels },
    provenance: { ...golden.provenance, method: spec.kind === 'lora' ? 'lora' : `adapter-${spec.variant}` },
    kind: spec.kind, module: spec, diffs, modules, dense,
  };
}

/** Every file under the store with its bytes: "unchanged" means this is equal. */
export function snapshotDir(dir: string): Record<string, string> {
  if (!existsSync(dir)) return {};
  const out: Record<string, string> = {};
  for (const n of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const p = join(dir, n);
    if (statSync(p).isFile()) out[n] = readFileSync(p).toString('base64');
  }
  return out;
}

/** Variants of the golden pack (other task names), unsigned. */
export function variants(n: number): Uint8Array[] {
  const { signature: _s, ...c } = decodePack(new Uint8Array(readFileSync(GOLDEN_PATH())));
  return Array.from({ length: n }, (_, i) => encodePack({ ...c, task: { ...c.task, name: `task ${i}` } }));
}


/** header + body + digest (+ signature block bytes, not re-signed). */
export function seal(body: Uint8Array, trailer: Uint8Array = new Uint8Array(0), version = 1): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + body.length + DIGEST_BYTES + trailer.length);
  const view = new DataView(out.buffer);
  out.set(PACK_MAGIC);
  view.setUint16(8, version, true);
  view.setUint32(12, body.length, true);
  out.set(body, HEADER_BYTES);
  out.set(createHash('sha256').update(out.subarray(0, HEADER_BYTES + body.length)).digest(), HEADER_BYTES + body.length);
  out.set(trailer, HEADER_BYTES + body.length + DIGEST_BYTES);
  return out;
}
