/**
 * What every op declares, side by side: its shape rule, its ONNX emission, its float64
 * reference semantics and its vector-Jacobian product (built from other DSL ops, so the
 * backward pass is itself a DSL graph that lowers to plain ONNX).
 */
import type { AttrValue } from '../onnx/ir.js';
import type { Dim, DType, NDArray, Shape, Tensor } from './tensor.js';

type NoAttrs = Record<never, never>;
type Axis = { axis: number };
type Axes = { axes: number[]; keepdims: boolean };

/** Each op's attributes, by name: what `apply` takes and what its emission, reference and gradient read. */
export interface OpAttrs {
  Neg: NoAttrs; Exp: NoAttrs; Log: NoAttrs; Sqrt: NoAttrs; Reciprocal: NoAttrs; Tanh: NoAttrs; Sigmoid: NoAttrs; SigmoidRecomputed: NoAttrs; GatedDiff: NoAttrs;
  Erf: NoAttrs; Relu: NoAttrs; Gelu: NoAttrs; Abs: NoAttrs;
  Add: NoAttrs; Sub: NoAttrs; Mul: NoAttrs; Div: NoAttrs; Pow: NoAttrs; Min: NoAttrs; Max: NoAttrs;
  Equal: NoAttrs; Less: NoAttrs; Greater: NoAttrs; Where: NoAttrs;
  Clip: { min: number; max: number };
  ClippedSigmoid: { shift: number; min: number; max: number };
  Cast: { to: DType };
  MatMul: NoAttrs;
  Gemm: { transA: boolean; transB: boolean; alpha: number };
  Gather: NoAttrs;
  ScatterAddRows: { rows: number };
  GatherElements: Axis;
  ScatterAddElements: Axis & { shape: Dim[] };
  ReduceSum: Axes; ReduceSumSquare: Axes; ReduceMean: Axes; ReduceMax: Axes;
  Softmax: Axis; LogSoftmax: Axis;
  LayerNorm: { eps: number };
  TopK: { k: number }; TopKIndices: { k: number };
  CumSum: Axis & { reverse: boolean };
  Reshape: { shape: Dim[] };
  Transpose: { perm: number[] };
  Expand: { shape: Dim[] };
  Concat: Axis;
  Slice: Axis & { start: number; end: number };
  Pad: Axis & { before: number; after: number };
  Squeeze: { axes: number[] }; Unsqueeze: { axes: number[] };
}
export type OpName = keyof OpAttrs;

/** A node whose attributes are typed as its op's. */
export type OpNode<A> = Tensor & { readonly attrs: A };

export interface EmitCtx<A = unknown> {
  readonly node: OpNode<A>;
  /** ONNX value name of input i. */
  input(i: number): string;
  /** The value name this op must produce. */
  readonly output: string;
  /** Emits one ONNX node; returns its (first) output name: `out`, or a fresh name. */
  emit(opType: string, inputs: string[], attrs?: Record<string, AttrValue>, out?: string | string[]): string;
  /** A fresh value name, for nodes with several outputs. */
  fresh(): string;
  /** A constant 1-D int64 tensor. */
  int64s(values: readonly number[]): string;
  /** A constant 0-D int64 tensor. */
  int64(value: number): string;
  /** A constant scalar of the given dtype. */
  scalar(value: number, dtype: DType): string;
  /** A 1-D int64 tensor holding a (possibly symbolic) shape, resolved at run time. */
  shape(dims: Shape): string;
}

export interface EvalEnv {
  dim(d: Dim): number;
}

/** Cotangent of the output → cotangents of the inputs (null: none, or not needed). */
export type VjpRule<A = unknown> = (g: Tensor, node: OpNode<A>, need: readonly boolean[]) => (Tensor | null)[];

export interface OpDef<A = NoAttrs> {
  infer(inputs: readonly Tensor[], attrs: A): { dtype: DType; shape: Shape };
  emit(ctx: EmitCtx<A>): void;
  eval(inputs: readonly NDArray[], node: OpNode<A>, env: EvalEnv): NDArray;
  /** null only for ops whose output is integer or boolean (no cotangent flows). */
  vjp: VjpRule<A> | null;
}

/** The op table: every op of OpAttrs, defined with its attributes' type. */
export type OpTable = { readonly [O in OpName]: OpDef<OpAttrs[O]> };

export const attr = {
  int: (value: number): AttrValue => ({ kind: 'int', value }),
  ints: (value: readonly number[]): AttrValue => ({ kind: 'ints', value: [...value] }),
  float: (value: number): AttrValue => ({ kind: 'float', value }),
  str: (value: string): AttrValue => ({ kind: 'string', value }),
};
