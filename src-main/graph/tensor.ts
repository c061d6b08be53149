/**
 * Symbolic tensors: the nodes of a computation built with the DSL in ops/ and api.ts.
 * A Tensor is immutable and knows its op, inputs, attributes, dtype and shape.
 */

/** float16 is a storage type only (inputs, outputs, Cast): arithmetic takes float32 or float64. */
export type DType = 'float32' | 'float64' | 'int32' | 'bool' | 'float16';

/**
 * A dimension: a fixed size, or a symbol such as 'batch' or 'seq'. A product of symbols
 * (from flattening) is written with '*', e.g. 'batch*seq'.
 */
export type Dim = number | string;
export type Shape = readonly Dim[];

export const isFloat = (d: DType): boolean => d === 'float32' || d === 'float64';

let nextId = 0;

export class Tensor {
  readonly id = nextId++;
  constructor(
    readonly op: string,
    readonly inputs: readonly Tensor[],
    readonly attrs: Readonly<Record<string, unknown>>,
    readonly dtype: DType,
    readonly shape: Shape,
    /** Names graph inputs (feeds) and constants; other nodes are named at lowering. */
    readonly name?: string,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  toString(): string {
    return `${this.name ?? this.op}#${this.id}<${this.dtype}[${this.shape.join(',')}]>`;
  }
}

/** Concrete data for constants, feeds and the reference interpreter. */
/** float16 feeds are binary16 bits in a Uint16Array. */
export type HostData = Float64Array | Float32Array | Int32Array | Uint8Array | Uint16Array;

export interface NDArray {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: HostData;
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
