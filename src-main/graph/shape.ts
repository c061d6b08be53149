/** Shape algebra over fixed and symbolic dims: broadcasting, products, axis normalisation. */
import type { Dim, Shape } from './tensor.js';

export class ShapeError extends Error {}

/** Normalises a possibly negative axis against a rank. */
export function normAxis(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new ShapeError(`${op}: axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** NumPy broadcasting of two shapes; symbols broadcast only against 1 or themselves. */
export function broadcastShapes(a: Shape, b: Shape, op: string): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else throw new ShapeError(`${op}: cannot broadcast [${a.join(',')}] with [${b.join(',')}]`);
  }
  return out;
}

/** A canonical product of dims: a number if all are fixed, else 'k*sym*sym' sorted. */
export function dimProduct(dims: readonly Dim[]): Dim {
  let k = 1;
  const syms: string[] = [];
  for (const d of dims) {
    if (typeof d === 'number') k *= d;
    else for (const part of d.split('*')) {
      const n = Number(part);
      if (Number.isInteger(n) && part !== '') k *= n;
      else syms.push(part);
    }
  }
  if (syms.length === 0) return k;
  if (k === 0) return 0;
  syms.sort();
  return (k === 1 ? [] : [String(k)]).concat(syms).join('*');
}

export const sameShape = (a: Shape, b: Shape): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** Resolves a dim to a number given symbol bindings (the interpreter's view). */
export function resolveDim(d: Dim, bind: ReadonlyMap<string, number>): number {
  if (typeof d === 'number') return d;
  let v = 1;
  for (const part of d.split('*')) {
    const n = Number(part);
    if (Number.isInteger(n) && part !== '') v *= n;
    else {
      const b = bind.get(part);
      if (b === undefined) throw new ShapeError(`unbound symbolic dim '${part}'`);
      v *= b;
    }
  }
  return v;
}

/** total / part for canonical products (a reshape's −1); errors when it does not divide. */
export function dimQuotient(total: Dim, part: Dim, op: string): Dim {
  const split = (d: Dim): [number, string[]] => {
    const p = dimProduct([d]);
    if (typeof p === 'number') return [p, []];
    const parts = p.split('*');
    const k = Number(parts[0]);
    return Number.isInteger(k) ? [k, parts.slice(1)] : [1, parts];
  };
  const [kt, st] = split(total);
  const [kp, sp] = split(part);
  const rest = [...st];
  for (const s of sp) {
    const i = rest.indexOf(s);
    if (i < 0) throw new ShapeError(`${op}: cannot infer -1: ${String(total)} is not divisible by ${String(part)}`);
    rest.splice(i, 1);
  }
  if (kp === 0 || kt % kp !== 0) throw new ShapeError(`${op}: cannot infer -1: ${String(total)} is not divisible by ${String(part)}`);
  return dimProduct([kt / kp, ...rest]);
}
