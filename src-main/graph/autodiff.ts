/**
 * Reverse-mode autodiff over the DSL. The backward pass is built from the same ops (each
 * op's VJP rule in ops/), so it lowers to plain ONNX like the forward pass.
 */
import { add, constant, isLeaf, sumToShape, zerosLike } from './api.js';
import { opDef } from './ops/index.js';
import { sameShape } from './shape.js';
import { isFloat, type Tensor } from './tensor.js';
import { topoSort } from './topo.js';

/**
 * Gradients of `y` with respect to each of `wrt`. `y` is a scalar unless a `seed`
 * cotangent of y's shape is given. Only paths from `wrt` to `y` are differentiated, so no
 * gradient that nobody asked for is emitted.
 */
export function grad(y: Tensor, wrt: readonly Tensor[], seed?: Tensor): Tensor[] {
  if (!isFloat(y.dtype)) throw new Error(`grad: output must be float, got ${y.dtype}`);
  if (!seed && y.rank !== 0) throw new Error(`grad: output has shape [${y.shape}]; give a seed cotangent`);
  if (seed && !sameShape(seed.shape, y.shape)) throw new Error('grad: seed shape differs from output shape');

  const order = topoSort([y]);
  const targets = new Set(wrt);
  // Float tensors that depend on some wrt: the only ones that receive a cotangent.
  const live = new Set<Tensor>();
  for (const t of order) if (isFloat(t.dtype) && (targets.has(t) || t.inputs.some((x) => live.has(x)))) live.add(t);

  const cotangent = new Map<Tensor, Tensor>([[y, seed ?? constant(1, y.dtype)]]);
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i];
    const gy = cotangent.get(node);
    if (!gy || isLeaf(node) || !live.has(node)) continue;
    const need = node.inputs.map((x) => live.has(x));
    if (!need.some(Boolean)) continue;
    const rule = opDef(node.op)?.vjp;
    if (!rule) throw new Error(`no gradient rule for op '${node.op}'`);
    const parts = rule(gy, node, need);
    node.inputs.forEach((x, k) => {
      if (!need[k]) return;
      const part = parts[k];
      if (!part) throw new Error(`gradient rule of '${node.op}' returned no cotangent for input ${k}`);
      const reduced = sumToShape(part, x.shape);
      if (!sameShape(reduced.shape, x.shape))
        throw new Error(`gradient rule of '${node.op}' gave shape [${reduced.shape}] for input ${k} of shape [${x.shape}]`);
      const prev = cotangent.get(x);
      cotangent.set(x, prev ? add(prev, reduced) : reduced);
    });
  }
  return wrt.map((w) => cotangent.get(w) ?? zerosLike(w));
}
