/** Matrix products, embedding lookups and their scatter-add adjoints. */
import * as g from '../api.js';
import { attr, type OpTable } from '../op.js';
import { alloc, matmulNd, stridesOf, transposeNd } from '../nd.js';
import { broadcastShapes, normAxis, ShapeError } from '../shape.js';
import type { NDArray } from '../tensor.js';

const last2 = (x: NDArray) => [...x.shape.keys()].map((i) => (i < x.shape.length - 2 ? i : 2 * x.shape.length - 3 - i));

export const linalgOps = {
  // Y = A·B over the last two axes, batch axes broadcast (ranks ≥ 2).
  // Ā = Ȳ·Bᵀ, B̄ = Aᵀ·Ȳ. A 2-D weight B under a batched A takes the one-GEMM path:
  // B̄ = flat(A)ᵀ·flat(Ȳ) and Ā = flat(Ȳ)·Bᵀ, with no transposed copy and no batch reduction.
  MatMul: {
    infer: ([a, b]) => {
      if (a.rank < 2 || b.rank < 2) throw new ShapeError(`MatMul: operands need rank ≥ 2, got ${a.rank} and ${b.rank}`);
      const k = a.shape[a.rank - 1], k2 = b.shape[b.rank - 2];
      if (k !== k2) throw new ShapeError(`MatMul: inner dims differ (${k} vs ${k2})`);
      const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'MatMul');
      return { dtype: a.dtype, shape: [...batch, a.shape[a.rank - 2], b.shape[b.rank - 1]] };
    },
    emit: (c) => void c.emit('MatMul', [c.input(0), c.input(1)], {}, c.output),
    eval: ([a, b]) => matmulNd(a, b),
    vjp: (gy, n, need) => {
      const [a, b] = n.inputs;
      if (b.rank === 2 && a.rank > 2) {
        const da = need[0] ? g.reshape(g.gemm(g.flatten2d(gy), b, { transB: true }), a.shape) : null;
        const db = need[1] ? g.gemm(g.flatten2d(a), g.flatten2d(gy), { transA: true }) : null;
        return [da, db];
      }
      return [need[0] ? g.matmul(gy, g.swapLast2(b)) : null, need[1] ? g.matmul(g.swapLast2(a), gy) : null];
    },
  },

  // Y = α·op(A)·op(B), 2-D, op = transpose when transA/transB.
  // With A′ = op(A), B′ = op(B): Ā′ = α·Ȳ·B′ᵀ, B̄′ = α·A′ᵀ·Ȳ; transposed operands take the transpose.
  Gemm: {
    infer: ([a, b], at) => {
      if (a.rank !== 2 || b.rank !== 2) throw new ShapeError('Gemm: operands must be 2-D');
      const [m, k] = at.transA ? [a.shape[1], a.shape[0]] : a.shape;
      const [k2, n] = at.transB ? [b.shape[1], b.shape[0]] : b.shape;
      if (k !== k2) throw new ShapeError(`Gemm: inner dims differ (${k} vs ${k2})`);
      return { dtype: a.dtype, shape: [m, n] };
    },
    emit: (c) => {
      const { transA, transB, alpha } = c.node.attrs;
      c.emit('Gemm', [c.input(0), c.input(1)], { alpha: attr.float(alpha), transA: attr.int(+transA), transB: attr.int(+transB) }, c.output);
    },
    eval: ([a, b], n) => {
      const { transA, transB, alpha } = n.attrs;
      const y = matmulNd(transA ? transposeNd(a, last2(a)) : a, transB ? transposeNd(b, last2(b)) : b);
      for (let i = 0; i < y.data.length; i++) y.data[i] *= alpha;
      return y;
    },
    vjp: (gy, n, need) => {
      const [a, b] = n.inputs;
      const { transA, transB, alpha } = n.attrs;
      const da = !need[0] ? null : transA
        ? g.gemm(b, gy, { transA: transB, transB: true, alpha })
        : g.gemm(gy, b, { transB: !transB, alpha });
      const db = !need[1] ? null : transB
        ? g.gemm(gy, a, { transA: true, transB: transA, alpha })
        : g.gemm(a, gy, { transA: !transA, alpha });
      return [da, db];
    },
  },

  // Y[i…, :] = T[idx[i…], :] (T is [rows, width], idx int32).  T̄ = scatter-add of Ȳ rows at idx.
  Gather: {
    infer: ([t, idx]) => {
      if (t.rank !== 2) throw new ShapeError(`Gather: table must be 2-D, got rank ${t.rank}`);
      if (idx.dtype !== 'int32') throw new ShapeError(`Gather: indices must be int32, got ${idx.dtype}`);
      return { dtype: t.dtype, shape: [...idx.shape, t.shape[1]] };
    },
    emit: (c) => void c.emit('Gather', [c.input(0), c.input(1)], { axis: attr.int(0) }, c.output),
    eval: ([t, idx], n) => {
      const w = t.shape[1];
      const out = alloc(n.dtype, [...idx.shape, w]);
      for (let i = 0; i < idx.data.length; i++) {
        const r = idx.data[i];
        if (r < 0 || r >= t.shape[0]) throw new RangeError(`Gather: index ${r} out of range [0, ${t.shape[0]})`);
        out.data.set(t.data.subarray(r * w, r * w + w), i * w);
      }
      return out;
    },
    vjp: (gy, n, need) => [need[0] ? g.scatterAddRows(n.inputs[1], gy, n.inputs[0].shape[0] as number) : null, null],
  },

  // Y = zeros[rows, width]; Y[idx[i…], :] += U[i…, :].  Ū = Ȳ gathered at idx (adjoint of Gather).
  ScatterAddRows: {
    infer: ([idx, u], at) => {
      if (idx.dtype !== 'int32') throw new ShapeError('ScatterAddRows: indices must be int32');
      if (u.rank !== idx.rank + 1) throw new ShapeError('ScatterAddRows: updates must be indices.shape + [width]');
      return { dtype: u.dtype, shape: [at.rows, u.shape[u.rank - 1]] };
    },
    emit: (c) => {
      // ScatterElements (int32 indices, reduction=add) stays on WebGPU. Not ScatterND: ORT's
      // CPU kernel adds its index rows in parallel, racing where indices repeat (tokens do).
      const u = c.node.inputs[1];
      const width = u.shape[u.rank - 1];
      const idx = c.emit('Expand', [c.emit('Reshape', [c.input(0), c.int64s([-1, 1])]), c.int64s([1, width as number])]);
      const upd = c.emit('Reshape', [c.input(1), c.int64s([-1, width as number])]);
      const zeros = c.emit('Expand', [c.scalar(0, c.node.dtype), c.shape(c.node.shape)]);
      c.emit('ScatterElements', [zeros, idx, upd], { axis: attr.int(0), reduction: attr.str('add') }, c.output);
    },
    eval: ([idx, u], n) => {
      const [rows, w] = n.shape as number[];
      const out = alloc(n.dtype, [rows, w]);
      for (let i = 0; i < idx.data.length; i++)
        for (let j = 0; j < w; j++) out.data[idx.data[i] * w + j] += u.data[i * w + j];
      return out;
    },
    vjp: (gy, n, need) => [null, need[1] ? g.gather(gy, n.inputs[0]) : null],
  },

  // Y[…, i, …] = X[…, idx[…, i, …], …] along `axis`.  X̄ = scatter-add of Ȳ at idx.
  GatherElements: {
    infer: ([x, idx], at) => {
      normAxis(at.axis, x.rank, 'GatherElements');
      if (idx.dtype !== 'int32' || idx.rank !== x.rank) throw new ShapeError('GatherElements: int32 indices of the same rank');
      return { dtype: x.dtype, shape: idx.shape };
    },
    emit: (c) => void c.emit('GatherElements', [c.input(0), c.input(1)], { axis: attr.int(c.node.attrs.axis) }, c.output),
    eval: ([x, idx], n) => elementsLoop(idx, x.shape, n.attrs.axis, alloc(n.dtype, idx.shape), (o, s, out) => { out.data[o] = x.data[s]; }),
    vjp: (gy, n, need) => [need[0] ? g.scatterAddElements(n.inputs[1], gy, n.attrs.axis, n.inputs[0].shape) : null, null],
  },

  // Y = zeros(shape); Y[…, idx[…, i, …], …] += U[…, i, …] along `axis`.  Ū = Ȳ gathered at idx.
  ScatterAddElements: {
    infer: ([idx, u], at) => {
      if (idx.dtype !== 'int32') throw new ShapeError('ScatterAddElements: indices must be int32');
      normAxis(at.axis, at.shape.length, 'ScatterAddElements');
      return { dtype: u.dtype, shape: at.shape };
    },
    emit: (c) => {
      const zeros = c.emit('Expand', [c.scalar(0, c.node.dtype), c.shape(c.node.shape)]);
      c.emit('ScatterElements', [zeros, c.input(0), c.input(1)], { axis: attr.int(c.node.attrs.axis), reduction: attr.str('add') }, c.output);
    },
    eval: ([idx, u], n, env) => {
      const shape = n.shape.map((d) => env.dim(d));
      return elementsLoop(idx, shape, n.attrs.axis, alloc(n.dtype, shape), (o, s, out) => { out.data[s] += u.data[o]; });
    },
    vjp: (gy, n, need) => [null, need[1] ? g.gatherElements(gy, n.inputs[0], n.attrs.axis) : null],
  },
} satisfies Partial<OpTable>;

/** Visits each index position o of `idx`, with s the flat position it addresses in `shape`. */
function elementsLoop(idx: NDArray, shape: readonly number[], axis: number, out: NDArray,
  f: (o: number, s: number, out: NDArray) => void): NDArray {
  const ax = normAxis(axis, shape.length, 'elements');
  const istr = stridesOf(idx.shape), sstr = stridesOf(shape);
  for (let o = 0; o < idx.data.length; o++) {
    let s = 0;
    for (let d = 0; d < shape.length; d++) {
      const coord = d === ax ? idx.data[o] : Math.floor(o / istr[d]) % idx.shape[d];
      if (coord < 0 || coord >= shape[d]) throw new RangeError(`index ${coord} out of range on axis ${d}`);
      s += coord * sstr[d];
    }
    f(o, s, out);
  }
  return out;
}
