/**
 * Which state outputs of a step graph may be written over their own state input's buffer
 * (the CPU step loop then hands ONNX Runtime the input's buffer as the output's: one copy of
 * the state instead of two, runtime/step-loop.ts).
 *
 * ONNX has no in-place semantics, so this holds only where the data flow forces it: every
 * other node that reads input X runs before the node that writes X.next, because it is an
 * ancestor of that node; and that node, if it reads X itself, is elementwise (element i is
 * read before element i is written, by the same kernel). AdamW's global-norm clipping
 * makes every update depend on every gradient, so the forward and backward reads of a
 * parameter all come before its update; a read outside that (a metric computed from the
 * state alone) rules its output out.
 */
import type { Tensor } from '../graph/index.js';
import { topoSort } from '../graph/topo.js';
import type { StepGraph } from './step-graph.js';

/** Ops whose element i depends on element i of each full-shape input only. */
const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Neg', 'Identity']);

export function inPlaceOutputs(step: StepGraph): string[] {
  const order = topoSort(Object.values(step.outputs));
  const index = new Map(order.map((t, i) => [t, i]));
  const inputsOf = order.map((t) => t.inputs.map((x) => index.get(x)!));
  const consumers = new Map<Tensor, number[]>();
  order.forEach((t, i) => { for (const x of t.inputs) if (x.op === 'Input') (consumers.get(x) ?? consumers.set(x, []).get(x)!).push(i); });
  const inputs = new Map(order.filter((t) => t.op === 'Input').map((t) => [t.name!, t]));
  const seen = new Int32Array(order.length).fill(-1);
  const out: string[] = [];
  Object.entries(step.stateBinding).forEach(([o, i], k) => {
    const writer = index.get(step.outputs[o])!, x = inputs.get(i);
    if (!x) return out.push(o); // an input no node reads
    if (order[writer] === x) return; // X.next = X: the output is the input itself
    // Mark the writer's ancestors (seen[n] === k).
    const stack = [writer];
    seen[writer] = k;
    while (stack.length) for (const p of inputsOf[stack.pop()!]) if (seen[p] !== k) { seen[p] = k; stack.push(p); }
    const readers = consumers.get(x) ?? [];
    const safe = readers.every((r) => r === writer ? ELEMENTWISE.has(order[r].op) && sameShape(order[r], x) : seen[r] === k);
    if (safe) out.push(o);
  });
  return out;
}

const sameShape = (a: Tensor, b: Tensor) => a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
