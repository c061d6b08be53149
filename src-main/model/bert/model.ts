/**
 * BERT as a BaseModel: post-norm encoder (word + position + token-type embeddings,
 * LayerNorm, self-attention, exact-GELU FFN), the [CLS] pooler (dense + tanh) and a linear
 * task head on the pooled output. Text pairs are `[CLS] a [SEP] b [SEP]` with token types.
 *
 * Q, K and V stay separate canonical tensors (diff pruning's structured groups are per HF
 * matrix, as in the paper); the graph concatenates them so attention runs one fused
 * matmul through layers.selfAttention.
 *
 * embed() is the masked mean of the last hidden states (the sentence-transformers
 * convention): BERT's pooler was trained for next-sentence prediction, not similarity.
 */
import * as g from '../../graph/index.js';
import type { Tensor } from '../../graph/index.js';
import { hostTensor, type HostTensor } from '../../runtime/index.js';
import type { BaseModel, TaskSpec, TextRow } from '../base.js';
import type { StoredBase } from '../base-store.js';
import { attentionBias, feedForward, layerNormP, linear, maskedMeanPool, selfAttention, tokenEmbedding, type ParamFn } from '../layers.js';
import type { Weights } from '../weights.js';
import type { BertConfig } from './config.js';
import { BertImportError } from './errors.js';
import { bertParamShapes } from './hf-weights.js';
import { BertTokenizer } from './tokenizer.js';

export interface BertInputs extends Record<string, Tensor> {
  /** int32 [batch, seq] WordPiece ids. */
  ids: Tensor;
  /** int32 [batch, seq] segment: 0 for the first text (and padding), 1 for the second. */
  typeIds: Tensor;
  /** float32 [batch, seq]: 1 for tokens, 0 for padding. */
  mask: Tensor;
  /** int32 [seq]: 0..seq−1. */
  positions: Tensor;
}

/** Q/K/V as one [h, 3h] projection, built from the separate canonical tensors. */
const fuseQkv = (p: ParamFn): ParamFn => Object.assign((name: string) => {
  const m = /^(l\d+\.attn)\.qkv\.([wb])$/.exec(name);
  if (!m) return p(name);
  return g.concat(['q', 'k', 'v'].map((k) => p(`${m[1]}.${k}.${m[2]}`)), m[2] === 'w' ? 1 : 0);
}, { site: p.site });

export class BertBase implements BaseModel {
  readonly architecture = 'bert' as const;
  readonly maxLength: number;
  readonly embeddingDim: number;

  constructor(
    readonly id: string,
    readonly config: BertConfig,
    readonly weights: Weights,
    readonly tokenizer: BertTokenizer,
    readonly fingerprint: string,
  ) {
    this.maxLength = config.maxPositions;
    this.embeddingDim = config.hidden;
  }

  inputs(_task?: TaskSpec): BertInputs {
    return {
      ids: g.input('ids', 'int32', ['batch', 'seq']),
      typeIds: g.input('typeIds', 'int32', ['batch', 'seq']),
      mask: g.input('mask', 'float32', ['batch', 'seq']),
      positions: g.input('positions', 'int32', ['seq']),
    };
  }

  tokenIdFeeds(_task?: TaskSpec): string[] {
    return ['ids'];
  }

  encode(rows: readonly TextRow[], task: TaskSpec, maxLength = this.maxLength): Record<string, HostTensor> {
    const e = this.tokenizer.encodeBatch(rows, task.pair, Math.min(maxLength, this.maxLength));
    return {
      ids: hostTensor('int32', [e.batch, e.seq], e.ids),
      typeIds: hostTensor('int32', [e.batch, e.seq], e.typeIds),
      mask: hostTensor('float32', [e.batch, e.seq], e.mask),
      positions: hostTensor('int32', [e.seq], Int32Array.from({ length: e.seq }, (_, i) => i)),
    };
  }

  /** Last hidden states [batch, seq, hidden] and the pooled [CLS] output [batch, hidden]. */
  encoder(p: ParamFn, x: Record<string, Tensor>): { hidden: Tensor; pooled: Tensor } {
    const c = this.config;
    const ln = (name: string, t: Tensor) => layerNormP(p, name, t, c.layerNormEps);
    let h = g.add(g.add(tokenEmbedding(p, x.ids), g.gather(p('emb.pos'), x.positions)), g.gather(p('emb.type'), x.typeIds));
    h = ln('emb.ln', h);
    const bias = attentionBias(x.mask);
    const pf = fuseQkv(p);
    for (let l = 0; l < c.layers; l++) {
      h = ln(`l${l}.ln1`, g.add(h, selfAttention(pf, `l${l}.attn`, h, bias, c.heads)));
      h = ln(`l${l}.ln2`, g.add(h, feedForward(p, `l${l}.ffn`, h)));
    }
    // h[:, 0] as a one-hot sum over positions: 'seq' is symbolic, so Slice cannot take it.
    const isFirst = g.unsqueeze(g.cast(g.equal(x.positions, 0), 'float32'), [1]);
    const first = g.reduceSum(g.mul(h, isFirst), [1]);
    return { hidden: h, pooled: g.tanh(linear(p, 'pool', first)) };
  }

  embed(p: ParamFn, inputs: Record<string, Tensor>): Tensor {
    return maskedMeanPool(this.encoder(p, inputs).hidden, inputs.mask);
  }

  headShapes(task: TaskSpec): Record<string, number[]> {
    return { 'head.w': [this.config.hidden, task.outputs], 'head.b': [task.outputs] };
  }

  taskOutputs(p: ParamFn, inputs: Record<string, Tensor>, _task: TaskSpec): Tensor {
    return linear(p, 'head', this.encoder(p, inputs).pooled);
  }
}

/** A BertBase from its canonical stored form (base-store has checked sizes and fingerprint). */
export function loadBertBase(stored: StoredBase): BertBase {
  const { manifest, weights, tokenizerJson } = stored;
  const config = manifest.config as BertConfig;
  const shapes = bertParamShapes(config);
  for (const [name, dims] of Object.entries(shapes)) {
    const t = weights.get(name);
    if (!t || t.dims.length !== dims.length || t.dims.some((d, i) => d !== dims[i])) {
      throw new BertImportError(`base '${manifest.id}': tensor ${name} is missing or not [${dims.join(', ')}]`);
    }
  }
  return new BertBase(manifest.id, config, weights, new BertTokenizer(tokenizerJson, `base '${manifest.id}' tokenizer.json`), manifest.fingerprint);
}
