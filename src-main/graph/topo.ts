import type { Tensor } from './tensor.js';

/** Nodes reachable from `roots`, inputs before users (iterative: encoder graphs are deep). */
export function topoSort(roots: readonly Tensor[]): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = roots.map((r) => [r, 0]);
  stack.reverse();
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    if (i === 0 && seen.has(t)) { stack.pop(); continue; }
    seen.add(t);
    if (i < t.inputs.length) {
      top[1]++;
      const next = t.inputs[i];
      if (!seen.has(next)) stack.push([next, 0]);
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}
