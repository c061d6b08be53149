/**
 * Dense n-d arrays for the float64 reference interpreter: simple, obviously correct loops.
 * Float tensors are evaluated in Float64Array whatever their declared dtype.
 */
import { sizeOf, type DType, type NDArray } from './tensor.js';

export function alloc(dtype: DType, shape: readonly number[]): NDArray {
  const n = sizeOf(shape);
  const data = dtype === 'int32' ? new Int32Array(n) : dtype === 'bool' ? new Uint8Array(n) : new Float64Array(n);
  return { dtype, shape: [...shape], data };
}

export function nd(dtype: DType, shape: readonly number[], values: ArrayLike<number>): NDArray {
  const out = alloc(dtype, shape);
  if (values.length !== out.data.length) throw new Error(`nd: ${values.length} values for shape [${shape}]`);
  out.data.set(values as ArrayLike<number>);
  return out;
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
  return s;
}

/** Maps each flat index of `outShape` to the flat index of a broadcast input of `inShape`. */
export function broadcastIndex(inShape: readonly number[], outShape: readonly number[]): Int32Array {
  const n = sizeOf(outShape);
  const map = new Int32Array(n);
  const off = outShape.length - inShape.length;
  const inStr = stridesOf(inShape);
  const outStr = stridesOf(outShape);
  for (let i = 0; i < n; i++) {
    let j = 0;
    for (let d = 0; d < inShape.length; d++) {
      const coord = Math.floor(i / outStr[d + off]) % outShape[d + off];
      if (inShape[d] !== 1) j += coord * inStr[d];
    }
    map[i] = j;
  }
  return map;
}

export function broadcastConcrete(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da !== db && da !== 1 && db !== 1) throw new Error(`broadcast [${a}] vs [${b}]`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Elementwise map over broadcast inputs. */
export function mapN(dtype: DType, inputs: readonly NDArray[], f: (...v: number[]) => number): NDArray {
  const shape = inputs.map((x) => x.shape).reduce((s, t) => broadcastConcrete(s, t), [] as number[]);
  const out = alloc(dtype, shape);
  const maps = inputs.map((x) => broadcastIndex(x.shape, shape));
  const vals = new Array<number>(inputs.length);
  for (let i = 0; i < out.data.length; i++) {
    for (let k = 0; k < inputs.length; k++) vals[k] = inputs[k].data[maps[k][i]];
    out.data[i] = f(...vals);
  }
  return out;
}

/** Reduces over `axes` (normalised, sorted) with an accumulator; keepdims keeps size-1 axes. */
export function reduceAxes(
  x: NDArray, axes: readonly number[], keepdims: boolean,
  init: number, step: (acc: number, v: number) => number, finish: (acc: number, n: number) => number = (a) => a,
): NDArray {
  const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = alloc(x.dtype, keptShape);
  out.data.fill(init);
  const map = broadcastIndex(keptShape, x.shape);
  for (let i = 0; i < x.data.length; i++) out.data[map[i]] = step(out.data[map[i]], x.data[i]);
  const count = axes.reduce((n, a) => n * x.shape[a], 1);
  for (let i = 0; i < out.data.length; i++) out.data[i] = finish(out.data[i], count);
  return keepdims ? out : { ...out, shape: x.shape.filter((_, i) => !axes.includes(i)) };
}

export function transposeNd(x: NDArray, perm: readonly number[]): NDArray {
  const shape = perm.map((p) => x.shape[p]);
  const out = alloc(x.dtype, shape);
  const inStr = stridesOf(x.shape);
  const outStr = stridesOf(shape);
  for (let i = 0; i < out.data.length; i++) {
    let j = 0;
    for (let d = 0; d < shape.length; d++) j += (Math.floor(i / outStr[d]) % shape[d]) * inStr[perm[d]];
    out.data[i] = x.data[j];
  }
  return out;
}

/** Batched matrix product with broadcast batch dims; both operands of rank ≥ 2. */
export function matmulNd(a: NDArray, b: NDArray): NDArray {
  const [m, k] = a.shape.slice(-2);
  const [k2, n] = b.shape.slice(-2);
  if (k !== k2) throw new Error(`matmul: inner dims ${k} vs ${k2}`);
  const batch = broadcastConcrete(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const out = alloc(a.dtype, [...batch, m, n]);
  const nb = sizeOf(batch);
  const amap = broadcastIndex(a.shape.slice(0, -2), batch);
  const bmap = broadcastIndex(b.shape.slice(0, -2), batch);
  for (let p = 0; p < nb; p++) {
    const ao = amap[p] * m * k, bo = bmap[p] * k * n, oo = p * m * n;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) s += a.data[ao + i * k + t] * b.data[bo + t * n + j];
        out.data[oo + i * n + j] = s;
      }
  }
  return out;
}

export const reshapeNd = (x: NDArray, shape: readonly number[]): NDArray => {
  if (sizeOf(shape) !== x.data.length) throw new Error(`reshape [${x.shape}] → [${shape}]`);
  return { dtype: x.dtype, shape: [...shape], data: x.data };
};
