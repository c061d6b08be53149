/** Runs a lowered DSL graph on ONNX Runtime's CPU provider and returns float64 copies. */
import { lower } from '../../src-main/graph/index.js';
import type { NDArray, Tensor } from '../../src-main/graph/index.js';
import { encodeModel } from '../../src-main/onnx/writer.js';
import { fromHalf, toHalf } from '../../src-main/onnx/float16.js';
import { ort } from '../../src-main/runtime/ort.js';

const typed = (x: NDArray): ort.Tensor => {
  const dims = [...x.shape];
  switch (x.dtype) {
    case 'float32': return new ort.Tensor('float32', Float32Array.from(x.data), dims);
    case 'float64': return new ort.Tensor('float64', Float64Array.from(x.data), dims);
    case 'int32': return new ort.Tensor('int32', Int32Array.from(x.data), dims);
    case 'bool': return new ort.Tensor('bool', Uint8Array.from(x.data), dims);
    case 'float16': return new ort.Tensor('float16', x.data instanceof Uint16Array ? x.data : Uint16Array.from(x.data, toHalf), dims);
  }
};

export async function runOnOrt(outputs: Record<string, Tensor>, feeds: Record<string, NDArray>, inputs?: Tensor[]): Promise<Record<string, NDArray>> {
  const graph = lower(outputs, { inputs });
  const { bytes } = encodeModel(graph);
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
  try {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const i of graph.inputs) ortFeeds[i.name] = typed(feeds[i.name]);
    const res = await session.run(ortFeeds);
    const out: Record<string, NDArray> = {};
    for (const [k, t] of Object.entries(outputs)) {
      const r = res[k];
      out[k] = { dtype: t.dtype, shape: [...r.dims], data: t.dtype === 'bool' ? Uint8Array.from(r.data as Uint8Array) : t.dtype === 'int32' ? Int32Array.from(r.data as Int32Array) : t.dtype === 'float16' ? Float64Array.from(r.data as Uint16Array, fromHalf) : Float64Array.from(r.data as Float32Array) };
    }
    return out;
  } finally {
    await session.release();
  }
}

/** max |a − b| / max(max |b|, floor): a norm-wise relative error. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-6): number {
  if (a.length !== b.length) return Infinity;
  let num = 0, den = floor;
  for (let i = 0; i < a.length; i++) { num = Math.max(num, Math.abs(a[i] - b[i])); den = Math.max(den, Math.abs(b[i])); }
  return num / den;
}
