/**
 * The ONNX intermediate representation that graph/ lowers to and onnx/writer.ts serialises.
 * Plain data: no protobuf types leak out of onnx/.
 */

/** Element types the project emits (subset of ONNX TensorProto.DataType). */
export type OnnxDType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool' | 'float16' | 'uint8' | 'int8';

/** A dim is a fixed size or a named symbolic size (e.g. 'batch', 'seq'). */
export type OnnxDim = number | string;

export interface ValueInfo {
  name: string;
  dtype: OnnxDType;
  shape: OnnxDim[];
}

export type AttrValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'tensor'; value: Initializer };

export interface OnnxNode {
  opType: string;
  /** '' marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  name: string;
  /** Attributes are written sorted by name (deterministic bytes). */
  attributes?: Record<string, AttrValue>;
  /** '' (default ONNX domain) or e.g. 'com.microsoft'. */
  domain?: string;
}

export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Uint16Array;

export interface Initializer {
  name: string;
  dtype: OnnxDType;
  dims: number[];
  /** Raw values; bool as Uint8Array (0/1), float16 as Uint16Array bits. */
  data: TensorData;
}

export interface OnnxGraph {
  name: string;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  nodes: OnnxNode[];
  initializers: Initializer[];
  /** Optional intermediate value infos (helps debugging; not required by ORT). */
  valueInfo?: ValueInfo[];
  docString?: string;
}
