/**
 * Diff values as stored: float32, float16 (IEEE 754 binary16) or int8 with one float32
 * scale per tensor (value = q · scale, q ∈ [−127, 127]). Content carries the stored form,
 * so decode → encode reproduces the bytes; `dequantize` gives the float32 deltas.
 */
import { fail } from './errors.js';
import { fromHalf, toHalf } from '../onnx/float16.js';

export const VALUE_ENCODINGS = ['float32', 'float16', 'int8'] as const;
export type ValueEncoding = (typeof VALUE_ENCODINGS)[number];
/** The encoding sparseDiffFromDense uses unless told otherwise: ≤ 3 bytes per nonzero with gaps. */
export const DEFAULT_VALUE_ENCODING: ValueEncoding = 'int8';

export type DiffValues =
  | { encoding: 'float32'; data: Float32Array }
  | { encoding: 'float16'; data: Uint16Array }
  | { encoding: 'int8'; scale: number; data: Int8Array };

export const BYTES_PER_VALUE: Record<ValueEncoding, number> = { float32: 4, float16: 2, int8: 1 };

/** Store float32 deltas in `encoding`. Refuses non-finite input and float16 overflow. */
export function quantize(deltas: Float32Array, encoding: ValueEncoding, where: string): DiffValues {
  for (let k = 0; k < deltas.length; k++) if (!Number.isFinite(deltas[k])) fail('NON_FINITE', `${where}: value #${k} is ${deltas[k]}`);
  if (encoding === 'float32') return { encoding, data: Float32Array.from(deltas) };
  if (encoding === 'float16') {
    const data = Uint16Array.from(deltas, toHalf);
    const bad = data.findIndex((h) => (h & 0x7c00) === 0x7c00);
    if (bad >= 0) fail('NON_FINITE', `${where}: value #${bad} (${deltas[bad]}) overflows float16; use float32`);
    return { encoding, data };
  }
  let max = 0;
  for (const d of deltas) max = Math.max(max, Math.abs(d));
  // The scale is a float32, so q·scale dequantises identically everywhere.
  const scale = max > 0 ? Math.fround(max / 127) : 1;
  // Plain loops, not TypedArray.from with a map function: module tensors hold millions of values.
  const data = new Int8Array(deltas.length);
  for (let k = 0; k < deltas.length; k++) data[k] = Math.max(-127, Math.min(127, Math.round(deltas[k] / scale)));
  return { encoding, scale, data };
}

/** The float32 deltas the stored values stand for. */
export function dequantize(v: DiffValues): Float32Array {
  if (v.encoding === 'float32') return v.data;
  const out = new Float32Array(v.data.length);
  if (v.encoding === 'float16') for (let k = 0; k < out.length; k++) out[k] = fromHalf(v.data[k]);
  else for (let k = 0; k < out.length; k++) out[k] = v.data[k] * v.scale;
  return out;
}

/** Little-endian bytes of the stored values. */
export function valueBytes(v: DiffValues): Uint8Array {
  const n = v.data.length, w = BYTES_PER_VALUE[v.encoding];
  const out = new Uint8Array(n * w), view = new DataView(out.buffer);
  if (v.encoding === 'float32') v.data.forEach((x, k) => view.setFloat32(4 * k, x, true));
  else if (v.encoding === 'float16') v.data.forEach((x, k) => view.setUint16(2 * k, x, true));
  else out.set(new Uint8Array(v.data.buffer, v.data.byteOffset, n));
  return out;
}

/** Parse stored values (length already checked = nnz · width); rejects NaN/±Inf and q = −128. */
export function parseValues(bytes: Uint8Array, encoding: ValueEncoding, scale: number | undefined, where: string): DiffValues {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (encoding === 'float32') {
    const data = new Float32Array(bytes.length / 4);
    for (let k = 0; k < data.length; k++) {
      data[k] = view.getFloat32(4 * k, true);
      if (!Number.isFinite(data[k])) fail('NON_FINITE', `${where}: value #${k} is ${data[k]}`);
    }
    return { encoding, data };
  }
  if (encoding === 'float16') {
    const data = new Uint16Array(bytes.length / 2);
    for (let k = 0; k < data.length; k++) {
      data[k] = view.getUint16(2 * k, true);
      if ((data[k] & 0x7c00) === 0x7c00) fail('NON_FINITE', `${where}: value #${k} is ${fromHalf(data[k])}`);
    }
    return { encoding, data };
  }
  if (scale === undefined || !Number.isFinite(scale)) fail('NON_FINITE', `${where}: int8 scale is ${scale}`);
  if (!(scale! > 0) || Math.fround(scale!) !== scale) fail('SCHEMA', `${where}: int8 scale ${scale} must be a positive float32`);
  const data = new Int8Array(bytes.length);
  data.set(new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length));
  const bad = data.indexOf(-128);
  if (bad >= 0) fail('SCHEMA', `${where}: int8 value #${bad} is −128 (the range is −127…127)`);
  return { encoding, scale: scale!, data };
}
