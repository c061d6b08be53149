/**
 * Converts the TF.js USE-lite graph model (model.json + shards + vocab.json) into canonical
 * weights, config and tokenizer.json. Hyper-parameters are read from the graph itself
 * (head count, max length, LayerNorm ε, timing-signal timescales) and the constants this
 * reimplementation hard-codes (attention scale, padding bias, ReLU FFN) are checked against
 * it, so a different export fails here with a specific error instead of computing garbage.
 * Pure: reads files, writes nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readTfjsGraphModel, TfjsModelError, type TfjsGraphModel, type TfjsTensor } from './tfjs-weights.js';
import { useLiteWeightShapes, type UseLiteConfig } from './use-lite.js';
import { useTokenizerJson, type UseVocab } from './use-tokenizer.js';
import type { WeightTensor } from './weights.js';

export class UseConvertError extends TfjsModelError {}

const ENC = 'module_apply_default/Encoder_en/KonaTransformer/';
const P = `${ENC}Encode/`;
const K = 'module/Encoder_en/KonaTransformer/Encode/';
const stack = (l: number) => `${P}TransformerStack/Layer_${l}/TransformerLayer/`;

/** Canonical name → TF.js weight name. */
function tfNames(c: Pick<UseLiteConfig, 'layers' | 'embedDim' | 'hidden'>): Record<string, string> {
  const m: Record<string, string> = {
    'emb.tok': 'module/Embeddings_en',
    'tanh.w': 'module/Encoder_en/hidden_layers/tanh_layer_0/weights',
    'tanh.b': 'module/Encoder_en/hidden_layers/tanh_layer_0/bias',
  };
  for (let l = 0; l < c.layers; l++) {
    const L = `${P}Layer_${l}/TransformerLayer/`;
    const ln = (sub: string, kind: string) => `${L}${sub}layer_prepostprocess/layer_norm/layer_norm_${kind}/ConcatPartitions/concat`;
    Object.assign(m, {
      [`l${l}.ln1.g`]: ln('', 'scale'), [`l${l}.ln1.b`]: ln('', 'bias'),
      [`l${l}.attn.qkv.w`]: `${K}Layer_${l}/TransformerLayer/MultiheadAttention/qkv_transform_single/kernel/part_0`,
      [`l${l}.attn.qkv.b`]: `${L}MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat`,
      [`l${l}.attn.out.w`]: `${K}Layer_${l}/TransformerLayer/MultiheadAttention/output_transform_single/kernel/part_0`,
      [`l${l}.attn.out.b`]: `${L}MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat`,
      [`l${l}.ln2.g`]: ln('FFN/', 'scale'), [`l${l}.ln2.b`]: ln('FFN/', 'bias'),
      [`l${l}.ffn.in.w`]: `${stack(l)}FFN/conv1/Tensordot/Reshape_1`,
      [`l${l}.ffn.in.b`]: `${L}FFN/conv1/bias/ConcatPartitions/concat`,
      [`l${l}.ffn.out.w`]: `${stack(l)}FFN/conv2/Tensordot/Reshape_1`,
      [`l${l}.ffn.out.b`]: `${L}FFN/conv2/bias/ConcatPartitions/concat`,
    });
    if (l === 0 && c.embedDim !== c.hidden) {
      m['l0.res.w'] = `${L}dense/kernel/ConcatPartitions/concat`;
      m['l0.res.b'] = `${L}dense/bias/ConcatPartitions/concat`;
    }
  }
  return m;
}

export interface ConvertedUseLite {
  config: UseLiteConfig;
  weights: Map<string, WeightTensor>;
  tokenizerJson: string;
}

export function convertUseLite(modelJsonPath: string, vocabPath: string): ConvertedUseLite {
  if (!existsSync(vocabPath)) throw new UseConvertError(`vocab.json not found at ${vocabPath}`);
  let vocab: UseVocab;
  try {
    vocab = JSON.parse(readFileSync(vocabPath, 'utf8'));
  } catch (e) {
    throw new UseConvertError(`vocab.json is not valid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(vocab)) throw new UseConvertError('vocab.json: expected an array of [piece, score]');
  let tokenizerJson: string;
  try {
    tokenizerJson = useTokenizerJson(vocab);
  } catch (e) {
    throw new UseConvertError((e as Error).message);
  }

  const model = readTfjsGraphModel(modelJsonPath);
  const config = readConfig(model);
  if (vocab.length > config.vocabSize) throw new UseConvertError(`vocab.json has ${vocab.length} pieces but the embedding table only ${config.vocabSize} rows`);
  const shapes = useLiteWeightShapes(config);
  const weights = new Map<string, WeightTensor>();
  const names = tfNames(config);
  for (const [name, want] of Object.entries(shapes)) {
    const tfName = names[name];
    const t = tensor(model, tfName, name);
    // Conv2D kernels are [1, 1, in, out]: the same bytes as a [in, out] matrix.
    const dims = t.shape.length === 4 && t.shape[0] === 1 && t.shape[1] === 1 ? t.shape.slice(2) : t.shape;
    if (dims.join('x') !== want.join('x')) throw new UseConvertError(`weight ${tfName} (${name}) has shape [${t.shape.join(', ')}], expected [${want.join(', ')}]`);
    if (t.dtype !== 'float32') throw new UseConvertError(`weight ${tfName} (${name}) is ${t.dtype}, expected float32`);
    weights.set(name, { dims: want, data: t.data as Float32Array });
  }
  return { config, weights, tokenizerJson };
}

function tensor(model: TfjsGraphModel, tfName: string, what: string): TfjsTensor {
  const t = model.tensors.get(tfName);
  if (!t) throw new UseConvertError(`model.json has no tensor '${tfName}' (${what}): not the USE-lite graph`);
  return t;
}

const scalar = (model: TfjsGraphModel, tfName: string, what: string) => {
  const t = tensor(model, tfName, what);
  if (t.data.length !== 1) throw new UseConvertError(`'${tfName}' (${what}) should be a scalar, has shape [${t.shape.join(', ')}]`);
  return t.data[0];
};

/** A node's constant input, found through the graph (so renamed constants are still found). */
function constInput(model: TfjsGraphModel, node: string, index: number, what: string): number {
  const n = model.nodes.find((x) => x.name === node);
  const input = n?.input?.[index];
  if (!input) throw new UseConvertError(`model.json has no node '${node}' (${what}): not the USE-lite graph`);
  return scalar(model, input, what);
}

function readConfig(model: TfjsGraphModel): UseLiteConfig {
  const layerIds = new Set<number>();
  for (const n of model.nodes) {
    const m = /TransformerStack\/Layer_(\d+)\//.exec(n.name);
    if (m) layerIds.add(Number(m[1]));
  }
  const layers = layerIds.size;
  if (layers === 0 || [...layerIds].some((l) => l >= layers)) throw new UseConvertError(`model.json: transformer layers ${[...layerIds].join(', ')} are not 0..n-1`);
  const emb = tensor(model, 'module/Embeddings_en', 'token embeddings');
  const tanhW = tensor(model, 'module/Encoder_en/hidden_layers/tanh_layer_0/weights', 'tanh layer');
  const ffnIn = tensor(model, `${stack(0)}FFN/conv1/Tensordot/Reshape_1`, 'layer 0 FFN');
  const timescales = tensor(model, `${P}TransformerStack/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`, 'timing signal timescales');
  if (emb.shape.length !== 2 || tanhW.shape.length !== 2 || ffnIn.shape.length !== 2) throw new UseConvertError('model.json: embedding, tanh or FFN weights are not matrices');
  const heads = constInput(model, `${stack(0)}MultiheadAttention/split_heads/split_last_dimension/Reshape/shape`, 2, 'attention heads');
  const config: UseLiteConfig = {
    vocabSize: emb.shape[0],
    embedDim: emb.shape[1],
    hidden: tanhW.shape[0],
    layers,
    heads,
    ffn: ffnIn.shape[1],
    maxLength: scalar(model, `${ENC}ClipToMaxLength/Less/y`, 'max length'),
    layerNormEps: constInput(model, `${stack(0)}layer_prepostprocess/layer_norm/add`, 1, 'LayerNorm epsilon'),
    inverseTimescales: Array.from(timescales.data),
  };
  if (config.inverseTimescales.length * 2 !== config.embedDim) throw new UseConvertError(`timing signal has ${config.inverseTimescales.length} timescales for ${config.embedDim}-d embeddings`);
  for (let l = 0; l < layers; l++) {
    const width = l === 0 ? config.embedDim : config.hidden;
    const checks: [string, number, number][] = [
      ['attention heads', constInput(model, `${stack(l)}MultiheadAttention/split_heads/split_last_dimension/Reshape/shape`, 2, 'heads'), heads],
      ['attention scale', constInput(model, `${stack(l)}MultiheadAttention/mul`, 1, 'attention scale'), Math.fround(1 / Math.sqrt(width / heads))],
      ['LayerNorm epsilon', constInput(model, `${stack(l)}FFN/layer_prepostprocess/layer_norm/add`, 1, 'LayerNorm epsilon'), config.layerNormEps],
    ];
    for (const [what, got, want] of checks) if (got !== want) throw new UseConvertError(`layer ${l}: ${what} is ${got}, this implementation computes ${want}`);
    const relu = model.nodes.find((n) => n.name === `${stack(l)}FFN/conv1/Relu`);
    if (relu?.op !== 'Relu') throw new UseConvertError(`layer ${l}: the FFN activation is not ReLU`);
  }
  const padBias = scalar(model, `${stack(layers - 1)}MultiheadAttention/DotProductAttention/attention_bias_ignore_padding/mul/y`, 'padding bias');
  if (padBias !== -1e9) throw new UseConvertError(`padding bias is ${padBias}, expected -1e9`);
  return config;
}
