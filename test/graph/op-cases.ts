/**
 * One or more cases per op of the table: the inputs a check feeds (float32-representable,
 * kept away from kinks and ties, unless a case makes ties on purpose) and which of them to
 * differentiate. A case named 'Op/variant' counts for 'Op'. The coverage test fails when an
 * op has no case here.
 */
import * as g from '../../src-main/graph/index.js';
import type { NDArray, Tensor } from '../../src-main/graph/index.js';
import { Rng } from '../../src-main/util/rng.js';

export interface BuiltCase { y: Tensor; wrt: Tensor[]; feeds: Record<string, NDArray> }
export interface OpCase { name: string; build(rng: Rng): BuiltCase }

type Gen = 'signed' | 'positive' | 'away' | 'distinct';
/** Builds input tensors and their feeds for one case. */
class Args {
  feeds: Record<string, NDArray> = {};
  /** Successive 'distinct' inputs sit on grids offset by half a step, so no two values tie. */
  private grid = 0;
  constructor(private rng: Rng) {}
  f(name: string, shape: number[], gen: Gen = 'signed', symShape?: g.Dim[]): Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float64Array(n);
    const perm = gen === 'distinct' ? shuffle([...Array(n).keys()], this.rng) : [];
    const offset = gen === 'distinct' ? 0.125 * (this.grid++ % 2) : 0;
    for (let i = 0; i < n; i++) {
      const u = this.rng.uniform();
      const v = gen === 'positive' ? 0.5 + 1.5 * u
        : gen === 'away' ? (u < 0.5 ? -1 : 1) * (0.2 + this.rng.uniform())
        : gen === 'distinct' ? (perm[i] - n / 2) * 0.25 + offset + 0.05 * u
        : 2 * u - 1;
      data[i] = Math.fround(v);
    }
    this.feeds[name] = { dtype: 'float32', shape, data };
    return g.input(name, 'float32', symShape ?? shape);
  }
  i(name: string, shape: number[], below: number): Tensor {
    const data = Int32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => this.rng.int(below));
    this.feeds[name] = { dtype: 'int32', shape, data };
    return g.input(name, 'int32', shape);
  }
}
function shuffle<T>(xs: T[], rng: Rng): T[] {
  for (let i = xs.length - 1; i > 0; i--) { const j = rng.int(i + 1); [xs[i], xs[j]] = [xs[j], xs[i]]; }
  return xs;
}

const unary = (name: string, op: (x: Tensor) => Tensor, gen: Gen = 'signed'): OpCase => ({
  name, build: (r) => { const a = new Args(r); const x = a.f('x', [3, 4], gen); return { y: op(x), wrt: [x], feeds: a.feeds }; },
});
const binary = (name: string, op: (x: Tensor, y: Tensor) => Tensor, ga: Gen = 'signed', gb: Gen = 'signed', sb = [4]): OpCase => ({
  name, build: (r) => {
    const a = new Args(r); const x = a.f('a', [3, 4], ga); const y = a.f('b', sb, gb);
    return { y: op(x, y), wrt: [x, y], feeds: a.feeds };
  },
});
/** Bool-valued ops: parity only; the case feeds them through Where so they also run in a float graph. */
const compare = (name: string, op: (x: Tensor, y: Tensor) => Tensor): OpCase => ({
  name, build: (r) => { const a = new Args(r); const x = a.f('a', [3, 4], 'distinct'); const y = a.f('b', [4], 'distinct'); return { y: op(x, y), wrt: [], feeds: a.feeds }; },
});
const single = (name: string, shape: number[], op: (x: Tensor) => Tensor, gen: Gen = 'signed', sym?: g.Dim[]): OpCase => ({
  name, build: (r) => { const a = new Args(r); const x = a.f('x', shape, gen, sym); return { y: op(x), wrt: [x], feeds: a.feeds }; },
});

export const OP_CASES: OpCase[] = [
  unary('Neg', g.neg), unary('Exp', g.exp), unary('Log', g.log, 'positive'), unary('Sqrt', g.sqrt, 'positive'),
  unary('Reciprocal', g.reciprocal, 'positive'), unary('Tanh', g.tanh), unary('Sigmoid', g.sigmoid),
  unary('SigmoidRecomputed', g.sigmoidRecomputed),
  single('Erf', [3, 4], (x) => g.erf(g.mul(x, 2))), unary('Relu', g.relu, 'away'),
  single('Gelu', [3, 4], (x) => g.gelu(g.mul(x, 3))), unary('Abs', g.abs, 'away'),
  binary('Add', g.add), binary('Add/broadcast-col', g.add, 'signed', 'signed', [3, 1]), binary('Sub', g.sub),
  binary('Mul', g.mul), binary('Div', g.div, 'signed', 'positive'), binary('Pow', g.pow, 'positive'),
  binary('Min', g.minimum, 'distinct', 'distinct'), binary('Max', g.maximum, 'distinct', 'distinct'),
  compare('Equal', (x, y) => g.equal(x, g.mul(y, 1))), compare('Less', g.less), compare('Greater', g.greater),
  { name: 'Where', build: (r) => {
    const a = new Args(r); const c = a.f('c', [3, 1], 'away'); const x = a.f('a', [3, 4]); const y = a.f('b', [4]);
    return { y: g.where(g.greater(c, 0), x, y), wrt: [x, y], feeds: a.feeds };
  } },
  single('Clip', [3, 4], (x) => g.clip(x, -0.55, 0.45), 'distinct'),
  // The Hard-Concrete gate's bounds (σ(x) − ½ clipped to [0, ⅓]: kinks at x = 0 and log 5), inputs ≥ 0.04 from both.
  single('ClippedSigmoid', [3, 4], (x) => g.clippedSigmoid(g.add(g.mul(x, 1.2), 0.15), -0.5, 0, 1 / 3), 'distinct'),
  { name: 'GatedDiff', build: (r) => {
    const a = new Args(r); const c = a.f('c', [3, 4]); const w = a.f('w', [3, 4]); const k = a.f('k', []);
    return { y: g.gatedDiff(c, w, k), wrt: [c, w, k], feeds: a.feeds };
  } },
  single('Cast', [3, 4], (x) => g.mul(g.cast(x, 'float64'), g.constant(2, 'float64'))),
  single('Cast/to-int', [3, 4], (x) => g.cast(g.mul(x, 10), 'int32')),
  binary('MatMul', g.matmul, 'signed', 'signed', [4, 5]),
  { name: 'MatMul/weight', build: (r) => { const a = new Args(r); const x = a.f('x', [2, 3, 4]); const w = a.f('w', [4, 5]); return { y: g.matmul(x, w), wrt: [x, w], feeds: a.feeds }; } },
  { name: 'MatMul/batched', build: (r) => { const a = new Args(r); const x = a.f('x', [2, 3, 4]); const w = a.f('w', [2, 4, 5]); return { y: g.matmul(x, w), wrt: [x, w], feeds: a.feeds }; } },
  ...[[false, false], [true, false], [false, true], [true, true]].map(([tA, tB]): OpCase => ({
    name: `Gemm/tA${+tA}tB${+tB}`, build: (r) => {
      const a = new Args(r); const x = a.f('a', tA ? [4, 3] : [3, 4]); const w = a.f('b', tB ? [5, 4] : [4, 5]);
      return { y: g.gemm(x, w, { transA: tA, transB: tB, alpha: 0.7 }), wrt: [x, w], feeds: a.feeds };
    },
  })),
  { name: 'Gather', build: (r) => { const a = new Args(r); const t = a.f('t', [5, 3]); const i = a.i('i', [2, 4], 5); return { y: g.gather(t, i), wrt: [t], feeds: a.feeds }; } },
  { name: 'ScatterAddRows', build: (r) => { const a = new Args(r); const i = a.i('i', [2, 3], 4); const u = a.f('u', [2, 3, 2]); return { y: g.scatterAddRows(i, u, 4), wrt: [u], feeds: a.feeds }; } },
  { name: 'GatherElements', build: (r) => { const a = new Args(r); const x = a.f('x', [3, 4]); const i = a.i('i', [3, 2], 4); return { y: g.gatherElements(x, i, 1), wrt: [x], feeds: a.feeds }; } },
  { name: 'ScatterAddElements', build: (r) => { const a = new Args(r); const i = a.i('i', [3, 2], 4); const u = a.f('u', [3, 2]); return { y: g.scatterAddElements(i, u, 1, [3, 4]), wrt: [u], feeds: a.feeds }; } },
  single('Softmax', [3, 4], (x) => g.softmax(g.mul(x, 2))),
  single('LogSoftmax', [3, 4], (x) => g.logSoftmax(g.mul(x, 2))),
  single('LogSoftmax/axis0', [3, 4], (x) => g.logSoftmax(x, 0)),
  { name: 'LayerNorm', build: (r) => {
    const a = new Args(r); const x = a.f('x', [2, 3, 5]); const gm = a.f('gamma', [5]); const bt = a.f('beta', [5]);
    return { y: g.layerNorm(x, gm, bt), wrt: [x, gm, bt], feeds: a.feeds };
  } },
  single('ReduceSum', [2, 3, 4], (x) => g.reduceSum(x, [1])),
  single('ReduceSum/keepdims', [2, 3, 4], (x) => g.reduceSum(x, [0, 2], true)),
  single('ReduceSumSquare', [2, 3, 4], (x) => g.reduceSumSquare(x, [0, 2])),
  single('ReduceMean', [2, 3, 4], (x) => g.reduceMean(x, [2])),
  single('ReduceMax', [2, 3, 4], (x) => g.reduceMax(x, [1]), 'distinct'),
  // Ties moved together (every value twice, or three times over two axes): differentiable
  // along such directions, with the gradient shared among the tied maxima.
  single('ReduceMax/ties', [2, 3, 4], (x) => g.reduceMax(g.concat([x, x], 1), [1]), 'distinct'),
  single('ReduceMax/ties-keepdims', [2, 3, 4], (x) => g.reduceMax(g.concat([x, x, x], 2), [1, 2], true), 'distinct'),
  single('TopK', [3, 6], (x) => g.topk(x, 3), 'distinct'),
  single('TopKIndices', [3, 6], (x) => g.topkIndices(x, 3), 'distinct'),
  single('CumSum', [3, 4], (x) => g.cumsum(x, 1)),
  single('CumSum/reverse', [3, 4], (x) => g.cumsum(x, 0, true)),
  single('Reshape', [2, 3, 4], (x) => g.reshape(x, [-1, 4]), 'signed', ['batch', 3, 4]),
  single('Reshape/unflatten', [2, 3, 4], (x) => g.reshape(g.reshape(x, [-1, 2]), ['batch', 3, 2, 2]), 'signed', ['batch', 3, 4]),
  single('Transpose', [2, 3, 4], (x) => g.transpose(x, [2, 0, 1])),
  single('Expand', [3, 1], (x) => g.expand(x, [2, 3, 4])),
  { name: 'Expand/symbolic', build: (r) => {
    const a = new Args(r); const x = a.f('x', [1, 4]); const s = a.f('s', [3, 1], 'signed', ['seq', 1]);
    return { y: g.mul(g.expand(x, ['seq', 4]), s), wrt: [x, s], feeds: a.feeds };
  } },
  { name: 'Concat', build: (r) => { const a = new Args(r); const x = a.f('x', [2, 3]); const y = a.f('y', [2, 2]); return { y: g.concat([x, y], 1), wrt: [x, y], feeds: a.feeds }; } },
  single('Slice', [3, 6], (x) => g.slice(x, 1, 1, 4)),
  single('Pad', [3, 4], (x) => g.pad(x, 0, 1, 2)),
  single('Squeeze', [3, 1, 4], (x) => g.squeeze(x, [1])),
  single('Unsqueeze', [3, 4], (x) => g.unsqueeze(x, [0, 2])),
];

export const opOfCase = (c: OpCase) => c.name.split('/')[0];
