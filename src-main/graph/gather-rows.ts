/**
 * Rows of a table that is an elementwise expression, computed only for the rows looked up.
 *
 * Training wraps every weight as an expression (θ + z⊙w with z from gate logits and noise),
 * and a token embedding table is by far the largest: Gather(f(θ, α, u, w), ids) would
 * evaluate f, and in the backward pass its whole chain rule, over every row of the
 * vocabulary for the few hundred a batch uses. Gathering the leaves first,
 *   Gather(f(a, b, …), ids) = f(Gather(a, ids), Gather(b, ids), …),
 * gives the same values element for element (each output element is computed from the same
 * operands by the same ops) at a fraction of the work; autodiff then scatters the leaves'
 * cotangents back into their rows.
 */
import { gather, reapply } from './api.js';
import { elementwiseOps } from './ops/elementwise.js';
import type { Tensor } from './tensor.js';

const ELEMENTWISE = new Set<string>(Object.keys(elementwiseOps));

/** table[ids] for a 2-D table (ids of any shape → [...ids.shape, width]). */
export function gatherRows(table: Tensor, ids: Tensor): Tensor {
  const rows = table.shape[0];
  // An operand varies along the table's rows iff it has them; [1, w], [w] and scalars broadcast.
  const hasRows = (t: Tensor) => t.rank === 2 && t.shape[0] === rows && rows !== 1;
  const memo = new Map<Tensor, Tensor>();
  const visit = (t: Tensor): Tensor => {
    if (!hasRows(t)) return t;
    let out = memo.get(t);
    if (!out) {
      out = ELEMENTWISE.has(t.op) ? reapply(t.op, t.inputs.map(visit), t.attrs) : gather(t, ids);
      memo.set(t, out);
    }
    return out;
  };
  if (table.rank !== 2) throw new Error(`gatherRows: table must be 2-D, got rank ${table.rank}`);
  return visit(table);
}
