/**
 * A copy of a graph with some of its inputs replaced: how one training step becomes the
 * next in a multi-step graph (train/multi-step.ts), the state inputs replaced by the
 * previous step's outputs and the batch inputs by inputs of their own.
 *
 * Nodes whose inputs all stay the same are not copied (a computation on the frozen weights
 * alone is shared by every copy); symbolic sizes in shapes and shape attributes are renamed
 * with the inputs, so each copy's batch has its own 'batch' and 'seq'.
 */
import { reapply } from './api.js';
import type { Dim, Tensor } from './tensor.js';
import { topoSort } from './topo.js';

/** Renames each factor of a symbolic size ('batch*seq' → 'batch@1*seq@1'). */
export const renameDim = (d: Dim, rename: (symbol: string) => string): Dim =>
  typeof d === 'number' ? d : d.split('*').map((p) => (/^\d+$/.test(p) ? p : rename(p))).join('*');

/**
 * The copies of `roots`: `replace(input)` gives each graph input's stand-in (the input
 * itself to keep it); `renameSymbol` renames the symbolic sizes of new nodes' shape
 * attributes (the replaced inputs carry their own shapes).
 */
export function cloneGraph(roots: readonly Tensor[], replace: (input: Tensor) => Tensor,
  renameSymbol: (symbol: string) => string): Tensor[] {
  const copies = new Map<Tensor, Tensor>();
  for (const t of topoSort(roots)) {
    if (t.op === 'Const') { copies.set(t, t); continue; }
    if (t.op === 'Input') { copies.set(t, replace(t)); continue; }
    const inputs = t.inputs.map((x) => copies.get(x)!);
    const shape = t.attrs.shape as Dim[] | undefined;
    const renamed = Array.isArray(shape) ? shape.map((d) => renameDim(d, renameSymbol)) : undefined;
    const sameAttrs = !renamed || renamed.every((d, i) => d === shape![i]);
    // The same inputs and attributes: the same node (e.g. zeros of a batch shape is not).
    if (sameAttrs && inputs.every((x, i) => x === t.inputs[i])) { copies.set(t, t); continue; }
    copies.set(t, reapply(t.op, inputs, renamed ? { ...t.attrs, shape: renamed } : t.attrs));
  }
  return roots.map((r) => copies.get(r)!);
}
