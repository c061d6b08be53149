/** Layout ops: reshape, transpose, broadcast, concatenation, slicing, padding, (un)squeeze. */
import * as g from '../api.js';
import { attr, type EmitCtx, type OpTable } from '../op.js';
import { alloc, broadcastIndex, reshapeNd, transposeNd } from '../nd.js';
import { broadcastShapes, dimProduct, dimQuotient, ShapeError } from '../shape.js';
import { sizeOf, type Dim, type NDArray, type Tensor } from '../tensor.js';

/** Copies the block [start, end) of x along axis into out at offset `at` along the same axis. */
/**
 * Reshape's target as a constant where it can be one: 0 keeps the input's dim at that
 * position, -1 takes what is left. Symbolic targets then need no run-time shape
 * arithmetic, which ONNX Runtime would place on the CPU even in a WebGPU session.
 */
function reshapeTarget(c: EmitCtx, from: readonly Dim[], to: readonly Dim[]): string {
  const spec = to.map((d, i) => (typeof d === 'number' ? d : from[i] === d ? 0 : undefined));
  const open = spec.filter((d) => d === undefined).length;
  return open <= 1 ? c.int64s(spec.map((d) => d ?? -1)) : c.shape(to);
}

function copyAlong(x: NDArray, axis: number, start: number, end: number, out: NDArray, at: number) {
  const inner = sizeOf(x.shape.slice(axis + 1));
  const outer = sizeOf(x.shape.slice(0, axis));
  const w = (end - start) * inner;
  for (let o = 0; o < outer; o++) {
    const src = (o * x.shape[axis] + start) * inner;
    const dst = (o * out.shape[axis] + at) * inner;
    out.data.set(x.data.subarray(src, src + w), dst);
  }
}
const fixedDim = (t: Tensor, axis: number, op: string): number => {
  const d = t.shape[axis];
  if (typeof d !== 'number') throw new ShapeError(`${op}: axis ${axis} must have a fixed size, got '${d}'`);
  return d;
};

export const layoutOps = {
  // y = x viewed with a new shape (one −1 inferred);  x̄ = ȳ viewed with x's shape
  Reshape: {
    infer: ([x], a) => {
      const target = a.shape;
      const holes = target.filter((d) => d === -1).length;
      if (holes > 1) throw new ShapeError('Reshape: at most one -1');
      const known = dimProduct(target.filter((d) => d !== -1));
      const total = dimProduct(x.shape);
      const shape = target.map((d) => (d === -1 ? dimQuotient(total, known, 'Reshape') : d));
      if (!holes && dimProduct(shape) !== total) throw new ShapeError(`Reshape: [${x.shape}] has ${total} elements, [${shape}] has ${dimProduct(shape)}`);
      return { dtype: x.dtype, shape };
    },
    emit: (c) => void c.emit('Reshape', [c.input(0), reshapeTarget(c, c.node.inputs[0].shape, c.node.shape)], {}, c.output),
    eval: ([x], n, env) => reshapeNd(x, n.shape.map((d) => env.dim(d))),
    vjp: (gy, n) => [g.reshape(gy, n.inputs[0].shape)],
  },

  // y = x with axes permuted;  x̄ = ȳ with the inverse permutation
  Transpose: {
    infer: ([x], a) => {
      const perm = a.perm;
      if (perm.length !== x.rank || [...perm].sort().some((p, i) => p !== i)) throw new ShapeError(`Transpose: bad perm [${perm}] for rank ${x.rank}`);
      return { dtype: x.dtype, shape: perm.map((p) => x.shape[p]) };
    },
    emit: (c) => void c.emit('Transpose', [c.input(0)], { perm: attr.ints(c.node.attrs.perm) }, c.output),
    eval: ([x], n) => transposeNd(x, n.attrs.perm),
    vjp: (gy, n) => {
      const perm = n.attrs.perm;
      const inv = perm.map((_, i) => perm.indexOf(i));
      return [g.transpose(gy, inv)];
    },
  },

  // y = x broadcast to a shape;  x̄ = ȳ (summed back to x's shape centrally by sumToShape)
  Expand: {
    infer: ([x], a) => ({ dtype: x.dtype, shape: broadcastShapes(x.shape, a.shape, 'Expand') }),
    emit: (c) => void c.emit('Expand', [c.input(0), c.shape(c.node.attrs.shape)], {}, c.output),
    eval: ([x], n, env) => {
      const shape = n.shape.map((d) => env.dim(d));
      const out = alloc(n.dtype, shape);
      const map = broadcastIndex(x.shape, shape);
      for (let i = 0; i < out.data.length; i++) out.data[i] = x.data[map[i]];
      return out;
    },
    vjp: (gy) => [gy],
  },

  // y = [x₁ ‖ x₂ ‖ …] along axis;  x̄ᵢ = the matching slice of ȳ
  Concat: {
    infer: (xs, a) => {
      const ax = a.axis;
      const first = xs[0];
      for (const x of xs) {
        if (x.dtype !== first.dtype || x.rank !== first.rank || x.shape.some((d, i) => i !== ax && d !== first.shape[i]))
          throw new ShapeError(`Concat: incompatible [${first.shape}] and [${x.shape}] on axis ${ax}`);
        fixedDim(x, ax, 'Concat');
      }
      return { dtype: first.dtype, shape: first.shape.map((d, i) => (i === ax ? xs.reduce((s, x) => s + (x.shape[ax] as number), 0) : d)) };
    },
    emit: (c) => void c.emit('Concat', c.node.inputs.map((_, i) => c.input(i)), { axis: attr.int(c.node.attrs.axis) }, c.output),
    eval: (xs, n) => {
      const ax = n.attrs.axis;
      const shape = xs[0].shape.map((d, i) => (i === ax ? xs.reduce((s, x) => s + x.shape[ax], 0) : d));
      const out = alloc(n.dtype, shape);
      let at = 0;
      for (const x of xs) { copyAlong(x, ax, 0, x.shape[ax], out, at); at += x.shape[ax]; }
      return out;
    },
    vjp: (gy, n, need) => {
      const ax = n.attrs.axis;
      let at = 0;
      return n.inputs.map((x, i) => {
        const len = x.shape[ax] as number;
        const part = need[i] ? g.slice(gy, ax, at, at + len) : null;
        at += len;
        return part;
      });
    },
  },

  // y = x[start:end] along axis;  x̄ = ȳ zero-padded back to x's extent
  Slice: {
    infer: ([x], a) => {
      const dim = fixedDim(x, a.axis, 'Slice');
      if (!(0 <= a.start && a.start < a.end && a.end <= dim)) throw new ShapeError(`Slice: [${a.start}, ${a.end}) outside [0, ${dim})`);
      return { dtype: x.dtype, shape: x.shape.map((d, i) => (i === a.axis ? a.end - a.start : d)) };
    },
    emit: (c) => {
      const { axis, start, end } = c.node.attrs;
      c.emit('Slice', [c.input(0), c.int64s([start]), c.int64s([end]), c.int64s([axis])], {}, c.output);
    },
    eval: ([x], n) => {
      const { axis, start, end } = n.attrs;
      const out = alloc(n.dtype, x.shape.map((d, i) => (i === axis ? end - start : d)));
      copyAlong(x, axis, start, end, out, 0);
      return out;
    },
    vjp: (gy, n) => {
      const { axis, start, end } = n.attrs;
      return [g.pad(gy, axis, start, (n.inputs[0].shape[axis] as number) - end)];
    },
  },

  // y = x with `before` and `after` zeros along axis;  x̄ = the middle slice of ȳ
  Pad: {
    infer: ([x], a) => {
      const dim = fixedDim(x, a.axis, 'Pad');
      if (a.before < 0 || a.after < 0) throw new ShapeError('Pad: negative padding');
      return { dtype: x.dtype, shape: x.shape.map((d, i) => (i === a.axis ? dim + a.before + a.after : d)) };
    },
    emit: (c) => {
      const { axis, before, after } = c.node.attrs;
      const r = c.node.rank;
      const pads = Array<number>(2 * r).fill(0);
      pads[axis] = before; pads[r + axis] = after;
      c.emit('Pad', [c.input(0), c.int64s(pads), c.scalar(0, c.node.dtype)], { mode: attr.str('constant') }, c.output);
    },
    eval: ([x], n) => {
      const { axis, before, after } = n.attrs;
      const out = alloc(n.dtype, x.shape.map((d, i) => (i === axis ? d + before + after : d)));
      copyAlong(x, axis, 0, x.shape[axis], out, before);
      return out;
    },
    vjp: (gy, n) => {
      const { axis, before } = n.attrs;
      return [g.slice(gy, axis, before, before + (n.inputs[0].shape[axis] as number))];
    },
  },

  // y = x without size-1 axes;  x̄ = ȳ with them restored
  Squeeze: {
    infer: ([x], a) => {
      const axes = a.axes;
      if (axes.some((ax) => x.shape[ax] !== 1)) throw new ShapeError(`Squeeze: axes [${axes}] of [${x.shape}] are not all 1`);
      return { dtype: x.dtype, shape: x.shape.filter((_, i) => !axes.includes(i)) };
    },
    emit: (c) => void c.emit('Squeeze', [c.input(0), c.int64s(c.node.attrs.axes)], {}, c.output),
    eval: ([x], n) => reshapeNd(x, x.shape.filter((_, i) => !(n.attrs.axes).includes(i))),
    vjp: (gy, n) => [g.unsqueeze(gy, n.attrs.axes)],
  },

  // y = x with new size-1 axes (positions in y);  x̄ = ȳ squeezed
  Unsqueeze: {
    infer: ([x], a) => {
      const axes = a.axes;
      const rank = x.rank + axes.length;
      if (axes.some((ax) => ax < 0 || ax >= rank)) throw new ShapeError(`Unsqueeze: axes [${axes}] out of range for rank ${rank}`);
      const shape: Dim[] = [];
      let k = 0;
      for (let i = 0; i < rank; i++) shape.push(axes.includes(i) ? 1 : x.shape[k++]);
      return { dtype: x.dtype, shape };
    },
    emit: (c) => void c.emit('Unsqueeze', [c.input(0), c.int64s(c.node.attrs.axes)], {}, c.output),
    eval: ([x], n) => {
      const axes = n.attrs.axes;
      const shape: number[] = [];
      let k = 0;
      for (let i = 0; i < x.shape.length + axes.length; i++) shape.push(axes.includes(i) ? 1 : x.shape[k++]);
      return reshapeNd(x, shape);
    },
    vjp: (gy, n) => [g.squeeze(gy, n.attrs.axes)],
  },
} satisfies Partial<OpTable>;
