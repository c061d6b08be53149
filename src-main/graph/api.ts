/**
 * The DSL's builder functions. Every op node is created through `apply`, which looks the
 * op up in the one table (ops/index.ts) and runs its shape rule.
 */
import type { OpAttrs, OpName } from './op.js';
import { opDef } from './ops/index.js';
import { broadcastShapes, dimProduct, normAxis, ShapeError } from './shape.js';
import { isFloat, Tensor, type Dim, type DType, type NDArray, type Shape } from './tensor.js';

/** An op's attributes as `apply` takes them: left out for an op that has none. */
type AttrArgs<O extends OpName> = Record<never, never> extends OpAttrs[O] ? [attrs?: OpAttrs[O]] : [attrs: OpAttrs[O]];

export function apply<O extends OpName>(op: O, inputs: readonly Tensor[], ...[attrs]: AttrArgs<O>): Tensor {
  return reapply(op, inputs, attrs ?? {});
}

/** A node of the op another node names, with attributes read off it (graph rewrites: clone, gather-rows). */
export function reapply(op: string, inputs: readonly Tensor[], attrs: Readonly<Record<string, unknown>>): Tensor {
  const def = opDef(op);
  if (!def) throw new Error(`unknown op '${op}'`);
  const { dtype, shape } = def.infer(inputs, attrs);
  return new Tensor(op, inputs, attrs, dtype, shape);
}

// ── leaves ────────────────────────────────────────────────────────────────────────────
/** A value fed at run time (a batch, a parameter, an optimizer moment, noise). */
export const input = (name: string, dtype: DType, shape: Shape): Tensor => new Tensor('Input', [], {}, dtype, [...shape], name);

/** A constant baked into the graph. */
export function constant(value: number | NDArray, dtype: DType = 'float32', name?: string): Tensor {
  const v: NDArray = typeof value === 'number'
    ? { dtype, shape: [], data: dtype === 'int32' ? Int32Array.of(value) : dtype === 'bool' ? Uint8Array.of(value) : Float64Array.of(value) }
    : value;
  return new Tensor('Const', [], { value: v }, v.dtype === 'float64' ? dtype : v.dtype, [...v.shape], name);
}

export const isLeaf = (t: Tensor): boolean => t.op === 'Input' || t.op === 'Const';

type Operand = Tensor | number;
const lift = (x: Operand, like: Tensor): Tensor => (typeof x === 'number' ? constant(x, like.dtype) : x);
/**
 * Elementwise ops commute with broadcasting: f(expand(a), b) = expand(f(a, b)) to the same
 * shape. Gradients of sums expand scalars to whole parameter shapes; computing on the
 * un-expanded operands (and expanding only if the result is still smaller) keeps those
 * from being materialised just to be multiplied elementwise.
 */
type BinaryOp = 'Add' | 'Sub' | 'Mul' | 'Div' | 'Pow' | 'Min' | 'Max' | 'Equal' | 'Less' | 'Greater';
function binary(op: BinaryOp, a: Operand, b: Operand): Tensor {
  if (typeof a === 'number' && typeof b === 'number') throw new Error(`${op}: at least one operand must be a tensor`);
  const ta = typeof a === 'number' ? lift(a, b as Tensor) : a;
  const tb = lift(b, ta);
  const inner = (t: Tensor) => (t.op === 'Expand' ? t.inputs[0] : t);
  if (inner(ta) === ta && inner(tb) === tb) return apply(op, [ta, tb]);
  const full = broadcastShapes(ta.shape, tb.shape, op);
  const r = apply(op, [inner(ta), inner(tb)]);
  return r.shape.length === full.length && r.shape.every((d, i) => d === full[i]) ? r : expand(r, full);
}

// ── elementwise ───────────────────────────────────────────────────────────────────────
export const add = (a: Operand, b: Operand) => binary('Add', a, b);
export const sub = (a: Operand, b: Operand) => binary('Sub', a, b);
export const mul = (a: Operand, b: Operand) => binary('Mul', a, b);
export const div = (a: Operand, b: Operand) => binary('Div', a, b);
export const pow = (a: Operand, b: Operand) => binary('Pow', a, b);
export const minimum = (a: Operand, b: Operand) => binary('Min', a, b);
export const maximum = (a: Operand, b: Operand) => binary('Max', a, b);
export const equal = (a: Operand, b: Operand) => binary('Equal', a, b);
export const less = (a: Operand, b: Operand) => binary('Less', a, b);
export const greater = (a: Operand, b: Operand) => binary('Greater', a, b);
export const neg = (x: Tensor) => apply('Neg', [x]);
export const exp = (x: Tensor) => apply('Exp', [x]);
export const log = (x: Tensor) => apply('Log', [x]);
export const sqrt = (x: Tensor) => apply('Sqrt', [x]);
export const reciprocal = (x: Tensor) => apply('Reciprocal', [x]);
export const tanh = (x: Tensor) => apply('Tanh', [x]);
export const sigmoid = (x: Tensor) => apply('Sigmoid', [x]);
/** σ(x) whose gradient is recomputed from x, keeping nothing from the forward pass (ops/elementwise.ts). */
export const sigmoidRecomputed = (x: Tensor) => apply('SigmoidRecomputed', [x]);
export const erf = (x: Tensor) => apply('Erf', [x]);
export const relu = (x: Tensor) => apply('Relu', [x]);
export const gelu = (x: Tensor) => apply('Gelu', [x]);
export const abs = (x: Tensor) => apply('Abs', [x]);
export const square = (x: Tensor) => mul(x, x);
export const cast = (x: Tensor, to: DType) => (x.dtype === to ? x : apply('Cast', [x], { to }));
export const clip = (x: Tensor, min: number, max: number) => apply('Clip', [x], { min, max });
/** clip(σ(x) + shift, min, max) as one op, which keeps only its output for the gradient (ops/elementwise.ts). */
/** (c ⊙ w)·k with k a scalar: a diff's gated weights (ops/elementwise.ts says why one op). */
export const gatedDiff = (c: Tensor, w: Tensor, k: Tensor) => apply('GatedDiff', [c, w, k]);
export const clippedSigmoid = (x: Tensor, shift: number, min: number, max: number) => apply('ClippedSigmoid', [x], { shift, min, max });
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  const like = typeof a === 'number' ? (b as Tensor) : a;
  return apply('Where', [cond, lift(a, like), lift(b, like)]);
}

// ── linear algebra, embeddings ────────────────────────────────────────────────────────
export const matmul = (a: Tensor, b: Tensor) => apply('MatMul', [a, b]);
export const gemm = (a: Tensor, b: Tensor, o: { transA?: boolean; transB?: boolean; alpha?: number } = {}) =>
  apply('Gemm', [a, b], { transA: !!o.transA, transB: !!o.transB, alpha: o.alpha ?? 1 });
export const gather = (table: Tensor, indices: Tensor) => apply('Gather', [table, indices]);
export const scatterAddRows = (indices: Tensor, updates: Tensor, rows: number) => apply('ScatterAddRows', [indices, updates], { rows });
export const gatherElements = (x: Tensor, indices: Tensor, axis: number) => apply('GatherElements', [x, indices], { axis });
export const scatterAddElements = (indices: Tensor, updates: Tensor, axis: number, shape: Shape) =>
  apply('ScatterAddElements', [indices, updates], { axis, shape: [...shape] });

// ── normalisation, reductions, selection ──────────────────────────────────────────────
export const softmax = (x: Tensor, axis = -1) => apply('Softmax', [x], { axis: normAxis(axis, x.rank, 'Softmax') });
export const logSoftmax = (x: Tensor, axis = -1) => apply('LogSoftmax', [x], { axis: normAxis(axis, x.rank, 'LogSoftmax') });
export const layerNorm = (x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5) => apply('LayerNorm', [x, gamma, beta], { eps });
const axesOf = (x: Tensor, axes: number | readonly number[] | undefined, op: string) =>
  (axes === undefined ? x.shape.map((_, i) => i) : typeof axes === 'number' ? [axes] : axes)
    .map((a) => normAxis(a, x.rank, op)).sort((p, q) => p - q);
export const reduceSum = (x: Tensor, axes?: number | readonly number[], keepdims = false) =>
  apply('ReduceSum', [x], { axes: axesOf(x, axes, 'ReduceSum'), keepdims });
/** Σ x² over the axes in one op: no x²-sized intermediate (AdamW's norms, adamw.ts). */
export const reduceSumSquare = (x: Tensor, axes?: number | readonly number[], keepdims = false) =>
  apply('ReduceSumSquare', [x], { axes: axesOf(x, axes, 'ReduceSumSquare'), keepdims });
export const reduceMean = (x: Tensor, axes?: number | readonly number[], keepdims = false) =>
  apply('ReduceMean', [x], { axes: axesOf(x, axes, 'ReduceMean'), keepdims });
export const reduceMax = (x: Tensor, axes?: number | readonly number[], keepdims = false) =>
  apply('ReduceMax', [x], { axes: axesOf(x, axes, 'ReduceMax'), keepdims });
export const topk = (x: Tensor, k: number) => apply('TopK', [x], { k });
export const topkIndices = (x: Tensor, k: number) => apply('TopKIndices', [x], { k });
export const cumsum = (x: Tensor, axis: number, reverse = false) => apply('CumSum', [x], { axis: normAxis(axis, x.rank, 'CumSum'), reverse });

// ── shape ─────────────────────────────────────────────────────────────────────────────
export const reshape = (x: Tensor, shape: readonly Dim[]) => apply('Reshape', [x], { shape: [...shape] });
export const transpose = (x: Tensor, perm: readonly number[]) => apply('Transpose', [x], { perm: [...perm] });
export const expand = (x: Tensor, shape: Shape) => apply('Expand', [x], { shape: [...shape] });
export const concat = (xs: readonly Tensor[], axis: number) => apply('Concat', xs, { axis: normAxis(axis, xs[0].rank, 'Concat') });
export const slice = (x: Tensor, axis: number, start: number, end: number) =>
  apply('Slice', [x], { axis: normAxis(axis, x.rank, 'Slice'), start, end });
export const pad = (x: Tensor, axis: number, before: number, after: number) =>
  apply('Pad', [x], { axis: normAxis(axis, x.rank, 'Pad'), before, after });
export const squeeze = (x: Tensor, axes: readonly number[]) => apply('Squeeze', [x], { axes: axes.map((a) => normAxis(a, x.rank, 'Squeeze')).sort() });
export const unsqueeze = (x: Tensor, axes: readonly number[]) => apply('Unsqueeze', [x], { axes: [...axes].sort() });
/** Swaps the last two axes. */
export const swapLast2 = (x: Tensor) => transpose(x, [...x.shape.keys()].map((i) => (i < x.rank - 2 ? i : 2 * x.rank - 3 - i)));
/** Flattens all but the last axis: [..., n] → [prod, n]. */
export const flatten2d = (x: Tensor) => reshape(x, [dimProduct(x.shape.slice(0, -1)), x.shape[x.rank - 1]]);

export const zerosLike = (x: Tensor) => expand(constant(0, x.dtype), x.shape);
export const onesLike = (x: Tensor) => expand(constant(1, x.dtype), x.shape);

/**
 * Sums a broadcast cotangent back to the shape of the operand that was broadcast: the one
 * central place where broadcasting's gradient is reduced.
 */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (g.rank < shape.length) throw new ShapeError(`sumToShape: rank ${g.rank} < ${shape.length}`);
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  if (axes.length === 0) return g;
  let r = reduceSum(g, axes, true);
  if (lead > 0) r = reshape(r, shape);
  return r;
}

export const requireFloat = (t: Tensor, op: string) => {
  if (!isFloat(t.dtype)) throw new ShapeError(`${op}: expected a float tensor, got ${t.dtype}`);
};
