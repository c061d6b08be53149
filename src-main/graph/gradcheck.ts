/**
 * Gradient check by cotangent projection, in float64 on the reference interpreter:
 * for random u (output-shaped) and v (input-shaped), ⟨u, J v⟩ by a five-point finite
 * difference must equal ⟨Jᵀu, v⟩ from the reverse-mode graph.
 */
import { input, mul, reduceSum } from './api.js';
import { grad } from './autodiff.js';
import { evaluate } from './interpret.js';
import { alloc } from './nd.js';
import type { NDArray, Tensor } from './tensor.js';

export interface GradCheckResult {
  /** ⟨u, J v⟩ by finite differences. */
  jvp: number;
  /** ⟨Jᵀu, v⟩ by autodiff. */
  vjp: number;
  relErr: number;
}

export function gradCheck(
  y: Tensor, wrt: readonly Tensor[], feeds: Readonly<Record<string, NDArray>>,
  random: () => number, eps = 1e-3,
): GradCheckResult {
  const [y0] = evaluate([y], feeds);
  const u = alloc('float64', y0.shape);
  for (let i = 0; i < u.data.length; i++) u.data[i] = 2 * random() - 1;
  const uIn = input('__cotangent', y.dtype, y.shape);
  const loss = reduceSum(mul(y, uIn));
  const grads = grad(loss, wrt);

  const base = { ...feeds, __cotangent: u };
  const vs = wrt.map((w) => {
    const f = feeds[w.name!];
    const v = alloc('float64', f.shape);
    for (let i = 0; i < v.data.length; i++) v.data[i] = 2 * random() - 1;
    return v;
  });
  const shifted = (sign: number) => {
    const f: Record<string, NDArray> = { ...base };
    wrt.forEach((w, k) => {
      const x = feeds[w.name!];
      f[w.name!] = { dtype: 'float64', shape: x.shape, data: Float64Array.from(x.data, (xv, i) => xv + sign * eps * vs[k].data[i]) };
    });
    return evaluate([loss], f)[0].data[0];
  };
  // Five-point stencil: truncation O(ε⁴), so ε can be large enough that rounding in the
  // loss stays far below the directional derivative even when that is small.
  const jvp = (8 * (shifted(1) - shifted(-1)) - (shifted(2) - shifted(-2))) / (12 * eps);
  // The loss rides along so that every input's symbolic dims are bound.
  const gv = evaluate([loss, ...grads], base).slice(1);
  let vjp = 0;
  gv.forEach((gk, k) => { for (let i = 0; i < gk.data.length; i++) vjp += gk.data[i] * vs[k].data[i]; });
  const relErr = Math.abs(jvp - vjp) / Math.max(Math.abs(jvp), Math.abs(vjp), 1e-12);
  return { jvp, vjp, relErr };
}
