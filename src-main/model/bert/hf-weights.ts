/**
 * Hugging Face BERT tensor names → the canonical names of this app's BERT graph, with
 * every shape checked against config.json. HF linear weights are [out, in]; canonical
 * ones are [in, out] (y = x·W + b), so they are transposed here once.
 */
import type { WeightTensor } from '../weights.js';
import type { BertConfig } from './config.js';
import { BertImportError } from './errors.js';
import { toFloat32, type RawTensor } from './raw-tensor.js';

/** Canonical parameter shapes, in a fixed order (the order weights are stored in). */
export function bertParamShapes(c: BertConfig): Record<string, number[]> {
  const { hidden: h, intermediate: f } = c;
  const s: Record<string, number[]> = {
    'emb.tok': [c.vocabSize, h], 'emb.pos': [c.maxPositions, h], 'emb.type': [c.typeVocabSize, h],
    'emb.ln.g': [h], 'emb.ln.b': [h],
  };
  for (let l = 0; l < c.layers; l++) {
    for (const m of ['q', 'k', 'v', 'out']) Object.assign(s, { [`l${l}.attn.${m}.w`]: [h, h], [`l${l}.attn.${m}.b`]: [h] });
    Object.assign(s, {
      [`l${l}.ln1.g`]: [h], [`l${l}.ln1.b`]: [h],
      [`l${l}.ffn.in.w`]: [h, f], [`l${l}.ffn.in.b`]: [f],
      [`l${l}.ffn.out.w`]: [f, h], [`l${l}.ffn.out.b`]: [h],
      [`l${l}.ln2.g`]: [h], [`l${l}.ln2.b`]: [h],
    });
  }
  s['pool.w'] = [h, h];
  s['pool.b'] = [h];
  return s;
}

/** canonical name → [HF name without the model prefix, transpose?] (the export writes the same map backwards) */
export function hfSources(c: BertConfig): Map<string, [string, boolean]> {
  const m = new Map<string, [string, boolean]>([
    ['emb.tok', ['embeddings.word_embeddings.weight', false]],
    ['emb.pos', ['embeddings.position_embeddings.weight', false]],
    ['emb.type', ['embeddings.token_type_embeddings.weight', false]],
    ['emb.ln.g', ['embeddings.LayerNorm.weight', false]],
    ['emb.ln.b', ['embeddings.LayerNorm.bias', false]],
    ['pool.w', ['pooler.dense.weight', true]],
    ['pool.b', ['pooler.dense.bias', false]],
  ]);
  const linear = (canon: string, hf: string) => {
    m.set(`${canon}.w`, [`${hf}.weight`, true]);
    m.set(`${canon}.b`, [`${hf}.bias`, false]);
  };
  for (let l = 0; l < c.layers; l++) {
    const p = `encoder.layer.${l}`;
    linear(`l${l}.attn.q`, `${p}.attention.self.query`);
    linear(`l${l}.attn.k`, `${p}.attention.self.key`);
    linear(`l${l}.attn.v`, `${p}.attention.self.value`);
    linear(`l${l}.attn.out`, `${p}.attention.output.dense`);
    m.set(`l${l}.ln1.g`, [`${p}.attention.output.LayerNorm.weight`, false]);
    m.set(`l${l}.ln1.b`, [`${p}.attention.output.LayerNorm.bias`, false]);
    linear(`l${l}.ffn.in`, `${p}.intermediate.dense`);
    linear(`l${l}.ffn.out`, `${p}.output.dense`);
    m.set(`l${l}.ln2.g`, [`${p}.output.LayerNorm.weight`, false]);
    m.set(`l${l}.ln2.b`, [`${p}.output.LayerNorm.bias`, false]);
  }
  return m;
}

/** Older TF-converted checkpoints name LayerNorm parameters gamma/beta. */
const LEGACY_NAMES: [RegExp, string][] = [[/LayerNorm\.weight$/, 'LayerNorm.gamma'], [/LayerNorm\.bias$/, 'LayerNorm.beta']];

/** Non-parameter buffers some checkpoints carry. */
const BUFFERS = new Set(['embeddings.position_ids', 'embeddings.token_type_ids']);

export function transpose2d(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

export interface MappedWeights {
  weights: Map<string, WeightTensor>;
  /** Checkpoint tensors the base does not use (pretraining heads, position_ids buffers…). */
  ignored: string[];
}

export function mapHfWeights(raw: ReadonlyMap<string, RawTensor>, c: BertConfig, file: string): MappedWeights {
  // BertModel checkpoints have bare names; BertFor* ones put the encoder under 'bert.'.
  const prefix = raw.has('bert.embeddings.word_embeddings.weight') ? 'bert.' : '';
  const shapes = bertParamShapes(c);
  const sources = hfSources(c);
  const used = new Set<string>();
  const weights = new Map<string, WeightTensor>();
  for (const [canon, dims] of Object.entries(shapes)) {
    const [hfName, transpose] = sources.get(canon)!;
    let name = prefix + hfName;
    if (!raw.has(name)) {
      const legacy = LEGACY_NAMES.find(([re]) => re.test(hfName));
      if (legacy && raw.has(prefix + hfName.replace(legacy[0], legacy[1]))) name = prefix + hfName.replace(legacy[0], legacy[1]);
      else throw new BertImportError(`${file}: missing tensor ${name}`);
    }
    const t = raw.get(name)!;
    const hfDims = transpose ? [dims[1], dims[0]] : dims;
    if (t.dims.length !== hfDims.length || t.dims.some((d, i) => d !== hfDims[i])) {
      throw new BertImportError(`${file}: tensor ${name} has shape [${t.dims.join(', ')}], config.json implies [${hfDims.join(', ')}]`);
    }
    const data = toFloat32(t, name, file);
    weights.set(canon, { dims, data: transpose ? transpose2d(data, hfDims[0], hfDims[1]) : data });
    used.add(name);
  }
  const extraLayer = [...raw.keys()].map((k) => new RegExp(`^${prefix.replace('.', '\\.')}encoder\\.layer\\.(\\d+)\\.`).exec(k)).find((m) => m && Number(m[1]) >= c.layers);
  if (extraLayer) throw new BertImportError(`${file}: has tensors for encoder layer ${extraLayer[1]} but config.json says num_hidden_layers = ${c.layers}`);
  const ignored = [...raw.keys()].filter((k) => !used.has(k));
  const stray = ignored.find((k) => (k.startsWith(`${prefix}encoder.`) || k.startsWith(`${prefix}embeddings.`)) && !BUFFERS.has(k.slice(prefix.length)));
  if (stray) throw new BertImportError(`${file}: unexpected tensor ${stray}: not part of a standard BERT encoder (an unsupported variant?)`);
  return { weights, ignored };
}
