/**
 * Tensors as the checkpoint readers hand them over: dtype tag, shape and the raw
 * little-endian bytes. Only the float dtypes a BERT checkpoint carries convert to float32;
 * other dtypes (e.g. the int64 position_ids buffer) are read, validated and then ignored.
 */
import { BertImportError } from './errors.js';
import { fromHalf } from '../../onnx/float16.js';

/** Element sizes of the safetensors dtype tags (PyTorch storages are mapped onto them). */
export const DTYPE_BYTES: Readonly<Record<string, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
  U16: 2, U32: 4, U64: 8, F8_E4M3: 1, F8_E5M2: 1,
};

export interface RawTensor {
  dtype: string;
  dims: number[];
  /** Exactly numel × element size bytes, little-endian. */
  bytes: Uint8Array;
}

export const numelOf = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * Float32 values of a F32/F16/BF16 tensor; any other dtype is an error naming the tensor.
 * Aligned little-endian F32 is a view of the bytes (an import then holds the checkpoint
 * once, not twice); the rest is converted into a new array.
 */
export function toFloat32(t: RawTensor, name: string, file: string): Float32Array {
  const n = numelOf(t.dims);
  const view = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  const inPlace = t.dtype === 'F32' && LITTLE_ENDIAN && t.bytes.byteOffset % 4 === 0;
  const out = inPlace ? new Float32Array(t.bytes.buffer, t.bytes.byteOffset, n) : new Float32Array(n);
  switch (t.dtype) {
    case 'F32':
      if (!inPlace) for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      break;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = fromHalf(view.getUint16(2 * i, true));
      break;
    case 'BF16': {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      break;
    }
    default:
      throw new BertImportError(`${file}: tensor ${name} has dtype ${t.dtype}; only F32, F16 and BF16 weights are supported`);
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(out[i])) throw new BertImportError(`${file}: tensor ${name} holds a non-finite value at element ${i}`);
  }
  return out;
}
