/**
 * A BERT-style post-norm encoder with a sequence-classification head, sized by config.
 * The engine's self-test and benchmarks train it; the shipped and imported bases reuse
 * the same blocks.
 */
import * as g from '../graph/index.js';
import type { Tensor } from '../graph/index.js';
import { Rng } from '../util/rng.js';
import { attentionBias, feedForward, layerNormP, linear, maskedMeanPool, selfAttention, tokenEmbedding, type ParamFn } from './layers.js';

export interface EncoderConfig {
  vocab: number;
  hidden: number;
  layers: number;
  heads: number;
  ffn: number;
  maxLen: number;
  classes: number;
}

/** Base (penalised) parameter shapes, in a fixed order. */
export function encoderParamShapes(c: EncoderConfig): Record<string, number[]> {
  const s: Record<string, number[]> = {
    'emb.tok': [c.vocab, c.hidden], 'emb.pos': [c.maxLen, c.hidden], 'emb.ln.g': [c.hidden], 'emb.ln.b': [c.hidden],
  };
  for (let l = 0; l < c.layers; l++) {
    Object.assign(s, {
      [`l${l}.attn.qkv.w`]: [c.hidden, 3 * c.hidden], [`l${l}.attn.qkv.b`]: [3 * c.hidden],
      [`l${l}.attn.out.w`]: [c.hidden, c.hidden], [`l${l}.attn.out.b`]: [c.hidden],
      [`l${l}.ln1.g`]: [c.hidden], [`l${l}.ln1.b`]: [c.hidden],
      [`l${l}.ffn.in.w`]: [c.hidden, c.ffn], [`l${l}.ffn.in.b`]: [c.ffn],
      [`l${l}.ffn.out.w`]: [c.ffn, c.hidden], [`l${l}.ffn.out.b`]: [c.hidden],
      [`l${l}.ln2.g`]: [c.hidden], [`l${l}.ln2.b`]: [c.hidden],
    });
  }
  return s;
}

/** The task head: dense, trained, never penalised. */
export const headParamShapes = (c: EncoderConfig): Record<string, number[]> => ({ 'head.w': [c.hidden, c.classes], 'head.b': [c.classes] });

/** Random initialisation (BERT's: N(0, 0.02²), LayerNorm γ = 1, β = 0, biases 0). */
export function initParams(shapes: Record<string, number[]>, rng: Rng): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const a = new Float32Array(shape.reduce((x, y) => x * y, 1));
    if (name.endsWith('.g')) a.fill(1);
    else if (!name.endsWith('.b')) rng.fillNormal(a, 0.02);
    out[name] = a;
  }
  return out;
}

export interface EncoderInputs {
  /** int32 [batch, seq] token ids. */
  ids: Tensor;
  /** float [batch, seq], 1 for tokens and 0 for padding. */
  mask: Tensor;
  /** int32 [seq], the positions 0..seq−1. */
  positions: Tensor;
}

export function encoderInputs(): EncoderInputs {
  return {
    ids: g.input('ids', 'int32', ['batch', 'seq']),
    mask: g.input('mask', 'float32', ['batch', 'seq']),
    positions: g.input('positions', 'int32', ['seq']),
  };
}

/** Logits [batch, classes] from mean-pooled final hidden states. */
export function classifierLogits(c: EncoderConfig, p: ParamFn, x: EncoderInputs): Tensor {
  let h = g.add(tokenEmbedding(p, x.ids), g.gather(p('emb.pos'), x.positions));
  h = layerNormP(p, 'emb.ln', h);
  const bias = attentionBias(x.mask);
  for (let l = 0; l < c.layers; l++) {
    h = layerNormP(p, `l${l}.ln1`, g.add(h, selfAttention(p, `l${l}.attn`, h, bias, c.heads)));
    h = layerNormP(p, `l${l}.ln2`, g.add(h, feedForward(p, `l${l}.ffn`, h)));
  }
  return linear(p, 'head', maskedMeanPool(h, x.mask));
}
