/** Transformer building blocks over the DSL. Parameters come from a lookup, so a caller
 * decides what each weight is: a frozen constant, a fed input, or θ + a gated diff. */
import * as g from '../graph/index.js';
import type { Tensor } from '../graph/index.js';

/**
 * A weight lookup, with an optional hook on each block's output linear (`<block>.out`,
 * before the residual add): where module methods (model/modules.ts) insert adapters, so
 * every base that builds on these blocks hosts them unchanged.
 */
export type ParamFn = ((name: string) => Tensor) & { site?: (site: string, y: Tensor) => Tensor };

/** The output linear of a block, through the site hook. */
const outLinear = (p: ParamFn, name: string, x: Tensor) => {
  const y = linear(p, `${name}.out`, x);
  return p.site?.(`${name}.out`, y) ?? y;
};

/**
 * Token embeddings [...ids.shape, width]. A batch touches a few hundred of the table's rows,
 * so a table that training wraps (θ + δ) is evaluated for those rows only (graph/gather-rows).
 */
export const tokenEmbedding = (p: ParamFn, ids: Tensor) => g.gatherRows(p(TOKEN_TABLE), ids);

/** The token embedding table's name, in every base. */
export const TOKEN_TABLE = 'emb.tok';

/** y = x·W + b over the last axis. */
export const linear = (p: ParamFn, name: string, x: Tensor) => g.add(g.matmul(x, p(`${name}.w`)), p(`${name}.b`));

export const layerNormP = (p: ParamFn, name: string, x: Tensor, eps = 1e-12) => g.layerNorm(x, p(`${name}.g`), p(`${name}.b`), eps);

/**
 * Multi-head self-attention with a fused QKV projection. `maskBias` is [batch, 1, 1, seq]:
 * 0 for tokens, a large negative number for padding.
 */
export function selfAttention(p: ParamFn, name: string, x: Tensor, maskBias: Tensor, heads: number): Tensor {
  const hidden = x.shape[2] as number;
  const dh = hidden / heads;
  const qkv = linear(p, `${name}.qkv`, x);
  const split = (k: number) => g.transpose(g.reshape(g.slice(qkv, 2, k * hidden, (k + 1) * hidden), [x.shape[0], x.shape[1], heads, dh]), [0, 2, 1, 3]);
  const [q, k, v] = [split(0), split(1), split(2)];
  const scores = g.add(g.mul(g.matmul(q, g.swapLast2(k)), 1 / Math.sqrt(dh)), maskBias);
  const ctx = g.matmul(g.softmax(scores, -1), v);
  const merged = g.reshape(g.transpose(ctx, [0, 2, 1, 3]), [x.shape[0], x.shape[1], hidden]);
  return outLinear(p, name, merged);
}

/** Position-wise feed-forward, GELU unless the base says otherwise (USE-lite's ReLU). */
export const feedForward = (p: ParamFn, name: string, x: Tensor, act: (t: Tensor) => Tensor = g.gelu) =>
  outLinear(p, name, act(linear(p, `${name}.in`, x)));

/** Mean over the tokens where mask = 1: [batch, seq, h] → [batch, h]. */
export function maskedMeanPool(x: Tensor, mask: Tensor): Tensor {
  const m = g.unsqueeze(mask, [2]);
  return g.div(g.reduceSum(g.mul(x, m), [1]), g.reduceSum(m, [1]));
}

/** [batch, seq] of 1/0 → additive attention bias [batch, 1, 1, seq]. */
export const attentionBias = (mask: Tensor) => g.unsqueeze(g.mul(g.sub(mask, 1), 1e4), [1, 2]);
