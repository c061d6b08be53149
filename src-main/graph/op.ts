/**
 * What every op declares, side by side: its shape rule, its ONNX emission, its float64
 * reference semantics and its vector-Jacobian product (built from other DSL ops, so the
 * backward pass is itself a DSL graph that lowers to plain ONNX).
 */
import type { AttrValue } from '../onnx/ir.js';
import type { Dim, DType, NDArray, Shape, Tensor } from './tensor.js';

export interface EmitCtx {
  readonly node: Tensor;
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
export type VjpRule = (g: Tensor, node: Tensor, need: readonly boolean[]) => (Tensor | null)[];

export interface OpDef {
  infer(inputs: readonly Tensor[], attrs: Record<string, any>): { dtype: DType; shape: Shape };
  emit(ctx: EmitCtx): void;
  eval(inputs: readonly NDArray[], node: Tensor, env: EvalEnv): NDArray;
  /** null only for ops whose output is integer or boolean (no cotangent flows). */
  vjp: VjpRule | null;
}

export const attr = {
  int: (value: number): AttrValue => ({ kind: 'int', value }),
  ints: (value: readonly number[]): AttrValue => ({ kind: 'ints', value: [...value] }),
  float: (value: number): AttrValue => ({ kind: 'float', value }),
  str: (value: string): AttrValue => ({ kind: 'string', value }),
};

/** ONNX TensorProto.DataType codes for Cast's `to`. */
export const ONNX_DTYPE_CODE: Record<DType, number> = { float32: 1, int32: 6, bool: 9, float64: 11, float16: 10 };
