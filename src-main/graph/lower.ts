/**
 * Lowering: a DSL graph → the plain ONNX IR (onnx/ir.ts). Names come from topological
 * positions, not global ids, so the same graph always lowers to the same bytes.
 */
import { toHalf } from '../onnx/float16.js';
import type { AttrValue, Initializer, OnnxGraph, OnnxNode, ValueInfo } from '../onnx/ir.js';
import type { EmitCtx } from './op.js';
import { opDef } from './ops/index.js';
import type { Dim, DType, NDArray, Shape, Tensor } from './tensor.js';
import { topoSort } from './topo.js';

export interface LowerOptions {
  name?: string;
  /** Declares the graph's inputs in this order (all reachable inputs must be listed). */
  inputs?: readonly Tensor[];
}

function hostArray(v: NDArray, dtype: DType): Initializer['data'] {
  switch (dtype) {
    case 'float32': return Float32Array.from(v.data);
    case 'float64': return Float64Array.from(v.data);
    case 'int32': return Int32Array.from(v.data);
    case 'bool': return Uint8Array.from(v.data, (x) => +(x !== 0));
    case 'float16': return Uint16Array.from(v.data, toHalf);
  }
}

export function lower(outputs: Readonly<Record<string, Tensor>>, opts: LowerOptions = {}): OnnxGraph {
  const order = topoSort(Object.values(outputs));
  const reachableInputs = order.filter((t) => t.op === 'Input');
  const declared = opts.inputs ?? reachableInputs;
  for (const t of reachableInputs) if (!declared.includes(t)) throw new Error(`lower: input '${t.name}' is used but not declared`);
  const byName = new Map<string, Tensor>();
  for (const t of declared) {
    if (t.op !== 'Input') throw new Error(`lower: ${t} is not an input`);
    if (byName.has(t.name!) && byName.get(t.name!) !== t) throw new Error(`lower: two inputs named '${t.name}'`);
    byName.set(t.name!, t);
  }

  for (const [k, t] of Object.entries(outputs))
    if (byName.has(k) && byName.get(k) !== t) throw new Error(`lower: output '${k}' has the name of an input`);

  const nodes: OnnxNode[] = [];
  const initializers: Initializer[] = [];
  const names = new Map<Tensor, string>();
  const cache = new Map<string, string>();
  let fresh = 0;
  const freshName = () => `v${fresh++}`;
  const outputOf = new Map<Tensor, string>();
  for (const [k, t] of Object.entries(outputs)) if (!outputOf.has(t) && t.op !== 'Input' && t.op !== 'Const') outputOf.set(t, k);

  const emit = (opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, out?: string | string[]) => {
    const outs = out === undefined ? [freshName()] : typeof out === 'string' ? [out] : out.map((o) => o || freshName());
    nodes.push({ opType, inputs, outputs: outs, name: `n${nodes.length}_${opType}`, attributes: attrs });
    return outs[0];
  };
  const constOnce = (key: string, make: (name: string) => Initializer) => {
    let name = cache.get(key);
    if (!name) {
      name = `c${initializers.length}`;
      initializers.push(make(name));
      cache.set(key, name);
    }
    return name;
  };
  const int64s = (vals: readonly number[]) =>
    constOnce(`i64:${vals}`, (name) => ({ name, dtype: 'int64', dims: [vals.length], data: BigInt64Array.from(vals, BigInt) }));
  const int64 = (val: number) => constOnce(`i64s:${val}`, (name) => ({ name, dtype: 'int64', dims: [], data: BigInt64Array.of(BigInt(val)) }));
  const scalar = (val: number, dtype: DType) =>
    constOnce(`${dtype}:${val}`, (name) => ({ name, dtype, dims: [], data: hostArray({ dtype, shape: [], data: Float64Array.of(val) }, dtype) }));

  /** A symbol's run-time size, read once from the first declared input that carries it. */
  const symbolSize = (sym: string): string => {
    const key = `sym:${sym}`;
    const hit = cache.get(key);
    if (hit) return hit;
    for (const t of declared) {
      const axis = t.shape.indexOf(sym);
      if (axis >= 0) {
        const name = emit('Shape', [t.name!], { start: { kind: 'int', value: axis }, end: { kind: 'int', value: axis + 1 } });
        cache.set(key, name);
        return name;
      }
    }
    throw new Error(`lower: symbolic dim '${sym}' appears in no graph input`);
  };
  /**
   * A value already in the graph whose whole shape is a given symbolic shape: Shape() of it
   * is the cheapest run-time shape, and keeps the graph free of int64 shape arithmetic
   * (Concat/Mul), which ONNX Runtime pins to the CPU even in a WebGPU session.
   */
  const carriers = new Map<string, string>();
  const carry = (t: Tensor, name: string) => {
    if (t.shape.some((d) => typeof d !== 'number') && !carriers.has(`${t.shape}`)) carriers.set(`${t.shape}`, name);
  };
  declared.forEach((t) => carry(t, t.name!));
  const shape = (dims: Shape): string => {
    if (dims.every((d) => typeof d === 'number')) return int64s(dims as number[]);
    const key = `shape:${dims}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const carrier = carriers.get(`${dims}`);
    if (carrier) {
      const name = emit('Shape', [carrier]);
      cache.set(key, name);
      return name;
    }
    const parts = dims.map((d: Dim) => {
      if (typeof d === 'number') return int64s([d]);
      return d.split('*').map((p) => (/^\d+$/.test(p) ? int64s([Number(p)]) : symbolSize(p)))
        .reduce((acc, p) => emit('Mul', [acc, p]));
    });
    const name = parts.length === 1 ? parts[0] : emit('Concat', parts, { axis: { kind: 'int', value: 0 } });
    cache.set(key, name);
    return name;
  };

  order.forEach((t, pos) => {
    if (t.op === 'Input') { names.set(t, t.name!); return; }
    if (t.op === 'Const') {
      const name = t.name ?? `k${pos}`;
      initializers.push({ name, dtype: t.dtype, dims: [...t.shape] as number[], data: hostArray(t.attrs.value as NDArray, t.dtype) });
      names.set(t, name);
      return;
    }
    const name = outputOf.get(t) ?? `t${pos}`;
    names.set(t, name);
    const ctx: EmitCtx = {
      node: t, output: name, input: (i) => names.get(t.inputs[i])!,
      emit, fresh: freshName, int64s, int64, scalar, shape,
    };
    opDef(t.op)!.emit(ctx);
    carry(t, name);
  });

  for (const [k, t] of Object.entries(outputs)) if (names.get(t) !== k) emit('Identity', [names.get(t)!], {}, k);
  const info = (name: string, t: Tensor): ValueInfo => ({ name, dtype: t.dtype, shape: [...t.shape] });
  return {
    name: opts.name ?? 'taskpack',
    inputs: declared.map((t) => info(t.name!, t)),
    outputs: Object.entries(outputs).map(([k, t]) => info(k, t)),
    nodes,
    initializers,
  };
}
