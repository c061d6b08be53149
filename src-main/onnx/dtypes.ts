/**
 * Element types: the IR's dtype names, their TensorProto.DataType codes, the typed array
 * that holds each, and the raw little-endian byte view ONNX stores (raw_data, external data).
 */
import type { Initializer, OnnxDType, TensorData } from './ir.js';
import { ONNX_DATA_TYPE } from './data-type.js';

type TypedArrayCtor = {
  new (buffer: ArrayBuffer, byteOffset?: number, length?: number): TensorData;
  new (length: number): TensorData;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
};

interface DTypeInfo {
  code: number;
  bytesPerElement: number;
  array: TypedArrayCtor;
}

export const DTYPES: Readonly<Record<OnnxDType, DTypeInfo>> = {
  float32: { code: ONNX_DATA_TYPE.float32, bytesPerElement: 4, array: Float32Array as TypedArrayCtor },
  float64: { code: ONNX_DATA_TYPE.float64, bytesPerElement: 8, array: Float64Array as TypedArrayCtor },
  int32: { code: ONNX_DATA_TYPE.int32, bytesPerElement: 4, array: Int32Array as TypedArrayCtor },
  int64: { code: ONNX_DATA_TYPE.int64, bytesPerElement: 8, array: BigInt64Array as TypedArrayCtor },
  bool: { code: ONNX_DATA_TYPE.bool, bytesPerElement: 1, array: Uint8Array as TypedArrayCtor },
  float16: { code: ONNX_DATA_TYPE.float16, bytesPerElement: 2, array: Uint16Array as TypedArrayCtor },
  uint8: { code: ONNX_DATA_TYPE.uint8, bytesPerElement: 1, array: Uint8Array as TypedArrayCtor },
  int8: { code: ONNX_DATA_TYPE.int8, bytesPerElement: 1, array: Int8Array as TypedArrayCtor },
};

const DTYPE_BY_CODE = new Map<number, OnnxDType>(
  (Object.keys(DTYPES) as OnnxDType[]).map((dtype) => [DTYPES[dtype].code, dtype]),
);

export function dtypeCode(dtype: OnnxDType): number {
  const info = DTYPES[dtype];
  if (!info) throw new Error(`unknown dtype '${String(dtype)}'`);
  return info.code;
}

export function dtypeFromCode(code: number): OnnxDType {
  const dtype = DTYPE_BY_CODE.get(code);
  if (dtype === undefined) throw new Error(`unsupported TensorProto.DataType ${code}`);
  return dtype;
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((n, d) => n * d, 1);
}

/** Checks that an initializer's dims and typed array agree with its dtype; returns its byte size. */
export function checkInitializer(init: Initializer, where: string): number {
  const info = DTYPES[init.dtype];
  if (!info) throw new Error(`${where}: unknown dtype '${String(init.dtype)}'`);
  for (const d of init.dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new Error(`${where}: bad dim ${d} in [${init.dims.join(', ')}]`);
  }
  if (!(init.data instanceof info.array)) {
    throw new Error(`${where}: dtype ${init.dtype} needs a ${info.array.name}, got ${init.data?.constructor?.name}`);
  }
  const count = elementCount(init.dims);
  if (init.data.length !== count) {
    throw new Error(`${where}: dims [${init.dims.join(', ')}] hold ${count} elements, data has ${init.data.length}`);
  }
  return count * info.bytesPerElement;
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Byte-reverses each element in place (only needed on big-endian hosts). */
function swapBytes(bytes: Uint8Array, width: number): void {
  for (let at = 0; at < bytes.length; at += width) bytes.subarray(at, at + width).reverse();
}

/** The little-endian bytes of a tensor: a view without copying on little-endian hosts. */
export function littleEndianBytes(data: TensorData): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (HOST_IS_LITTLE_ENDIAN || data.BYTES_PER_ELEMENT === 1) return view;
  const copy = view.slice();
  swapBytes(copy, data.BYTES_PER_ELEMENT);
  return copy;
}

/** A fresh, aligned typed array holding `count` elements read from little-endian bytes. */
export function tensorFromLittleEndian(dtype: OnnxDType, bytes: Uint8Array, count: number): TensorData {
  const info = DTYPES[dtype];
  const byteLength = count * info.bytesPerElement;
  if (bytes.length !== byteLength) {
    throw new Error(`${dtype} tensor of ${count} elements needs ${byteLength} bytes, got ${bytes.length}`);
  }
  const copy = new Uint8Array(byteLength);
  copy.set(bytes);
  if (!HOST_IS_LITTLE_ENDIAN) swapBytes(copy, info.bytesPerElement);
  return new info.array(copy.buffer, 0, count);
}
