/**
 * Host tensors: the plain tensor type that everything outside runtime/ sees. No ORT type
 * leaks out of this folder; conversion to and from ort.Tensor lives here.
 */
import { ort } from './ort.js';

export type HostDType = 'float32' | 'int32' | 'bool' | 'int64' | 'float64' | 'float16';

export interface HostDataOf {
  float32: Float32Array;
  int32: Int32Array;
  bool: Uint8Array;
  int64: BigInt64Array;
  float64: Float64Array;
  /** binary16 bits (Node 20 has no Float16Array). */
  float16: Uint16Array;
}

export type HostData = HostDataOf[HostDType];

export interface HostTensor<D extends HostDType = HostDType> {
  dtype: D;
  dims: number[];
  data: HostDataOf[D];
}

export const HOST_DTYPES: readonly HostDType[] = ['float32', 'int32', 'bool', 'int64', 'float64', 'float16'];

export function isHostDType(s: string): s is HostDType {
  return (HOST_DTYPES as readonly string[]).includes(s);
}

export function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

function checkData(dtype: HostDType, data: HostData): void {
  const ok =
    (dtype === 'float32' && data instanceof Float32Array) ||
    (dtype === 'int32' && data instanceof Int32Array) ||
    (dtype === 'bool' && data instanceof Uint8Array) ||
    (dtype === 'int64' && data instanceof BigInt64Array) ||
    (dtype === 'float64' && data instanceof Float64Array) ||
    (dtype === 'float16' && data instanceof Uint16Array);
  if (!ok) throw new TypeError(`host tensor: ${dtype} needs its own typed array, got ${data.constructor.name}`);
}

/** Build a host tensor, checking that the array type and length fit the dtype and dims. */
export function hostTensor<D extends HostDType>(dtype: D, dims: number[], data: HostDataOf[D]): HostTensor<D> {
  checkData(dtype, data);
  if (numel(dims) !== data.length) {
    throw new RangeError(`host tensor: dims [${dims.join(',')}] hold ${numel(dims)} values, data has ${data.length}`);
  }
  return { dtype, dims: [...dims], data };
}

export function scalarF32(v: number): HostTensor<'float32'> {
  return hostTensor('float32', [], Float32Array.of(v));
}

/**
 * Wrap a host tensor as an ort.Tensor without copying (CPU inputs are zero-copy).
 * The caller must not mutate the data while a run that uses it is in flight.
 */
export function toOrt(t: HostTensor): ort.Tensor {
  checkData(t.dtype, t.data);
  return new ort.Tensor(t.dtype, t.data, t.dims);
}

/**
 * Copy of a CPU-located ort.Tensor as a host tensor. Never call this on a gpu-buffer
 * tensor (its getData() aborts the process): read those through readback.ts.
 */
export function fromOrtCpu(t: ort.Tensor): HostTensor {
  if (t.location !== 'cpu') {
    throw new Error(`fromOrtCpu: tensor is on '${t.location}', read it back through the Identity session`);
  }
  if (!isHostDType(t.type)) throw new TypeError(`runtime: output dtype '${t.type}' is not a host dtype`);
  // ORT copies each output into a fresh JS buffer: take it as is, no second copy.
  return { dtype: t.type, dims: [...t.dims], data: t.data as HostData } as HostTensor;
}

/** The first value of a one-element (or scalar) numeric host tensor, as a JS number. */
export function scalarValue(t: HostTensor): number {
  if (t.data.length < 1) throw new RangeError('scalarValue: empty tensor');
  const v = t.data[0]!;
  return typeof v === 'bigint' ? Number(v) : v;
}
