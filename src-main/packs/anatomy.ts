/**
 * Where a pack's nonzeros sit (rows: the embeddings, each layer, the pooler; columns: the
 * tensor kinds of model/tensor-kinds.ts), and how two packs of one base overlap: shared
 * positions, Jaccard, and what chance would share, Σ over tensors of n₁·n₂ / size
 * (independent uniform draws with the same per-tensor counts; docs/results.md asks with it
 * whether a method's selection repeats across seeds).
 */
import { classifyTensor, countByKind, KIND_LABELS, rowLabel, TENSOR_KINDS, type TensorKind, type TensorRow } from '../model/tensor-kinds.js';
import { numelOf, type PackContent, type SparseDiff } from './format.js';
import { describeModule } from './module-names.js';
import type { OverlapPart, PackAnatomy, PackOverlap } from './views.js';

export type { OverlapPart, PackAnatomy, PackOverlap };

type Grid = Map<TensorRow, Map<TensorKind, number>>;

const rowOrder = (r: TensorRow) => (r === 'embeddings' ? -1 : r === 'pooler' ? Infinity : r);
const sortRows = (rows: Iterable<TensorRow>) => [...new Set(rows)].sort((x, y) => rowOrder(x) - rowOrder(y));
const sortKinds = (kinds: Iterable<TensorKind>) => TENSOR_KINDS.filter((k) => new Set(kinds).has(k));
const sum = (xs: Iterable<number>) => [...xs].reduce((a, b) => a + b, 0);
const nnzOf = (diffs: readonly SparseDiff[]) => sum(diffs.map((d) => d.indices.length));

function add(grid: Grid, name: string, dims: readonly number[], indices: Iterable<number>): void {
  const { row, counts } = countByKind(name, dims, indices);
  const cells = grid.get(row) ?? new Map<TensorKind, number>();
  grid.set(row, cells);
  for (const [kind, n] of counts) cells.set(kind, (cells.get(kind) ?? 0) + n);
}

const gridOf = (diffs: readonly SparseDiff[]): Grid => {
  const grid: Grid = new Map();
  for (const d of diffs) add(grid, d.name, d.dims, d.indices);
  return grid;
};

const cell = (grid: Grid, row: TensorRow, kind?: TensorKind) =>
  kind === undefined ? sum(grid.get(row)?.values() ?? []) : (grid.get(row)?.get(kind) ?? 0);

/** `baseNames`: the base's tensor names, when it is installed, so the grid shows the whole encoder. */
export function packAnatomy(content: Pick<PackContent, 'diffs' | 'dense'>, baseNames: readonly string[] = []): PackAnatomy {
  const grid = gridOf(content.diffs);
  const rows = sortRows([...grid.keys(), ...baseNames.map((n) => classifyTensor(n).row)]);
  const baseKinds = baseNames.flatMap((n): TensorKind[] => {
    const { kind } = classifyTensor(n);
    return kind === 'attn.qkv' ? ['attn.q', 'attn.k', 'attn.v'] : [kind];
  });
  const kinds = sortKinds([...baseKinds, ...[...grid.values()].flatMap((cells) => [...cells.keys()])]);
  return {
    rows: rows.map(rowLabel),
    kinds: kinds.map((kind) => ({ kind, label: KIND_LABELS[kind] })),
    counts: rows.map((r) => kinds.map((k) => cell(grid, r, k))),
    nonzeros: nnzOf(content.diffs),
    head: { tensors: content.dense.length, parameters: sum(content.dense.map((t) => numelOf(t.dims))) },
  };
}

/** Positions in both sorted index lists (a pack's indices are strictly increasing). */
function sharedIndices(a: Uint32Array, b: Uint32Array): number[] {
  const out: number[] = [];
  for (let i = 0, j = 0; i < a.length && j < b.length;) {
    if (a[i] === b[j]) { out.push(a[i]); i++; j++; } else if (a[i] < b[j]) i++; else j++;
  }
  return out;
}

/**
 * Positions compare only between diff packs: a LoRA or adapter pack's update is dense
 * module tensors (and Houlsby's every-position LayerNorm diffs), with no sparse positions.
 */
export function checkOverlapKinds(...packs: Pick<PackContent, 'kind' | 'module' | 'task'>[]): void {
  const other = packs.find((p) => p.kind !== 'diff');
  if (other) {
    throw new Error(`“${other.task.name}” is a ${describeModule(other.module!)} pack: positions compare only between two diff packs `
      + '(a module pack\'s update is dense module tensors, not positions in the base; compare their sizes with `pack inspect`)');
  }
}

/** Two packs' diffs over one base (the caller checks they are for the same base and of kind diff). */
export function packOverlap(a: readonly SparseDiff[], b: readonly SparseDiff[]): PackOverlap {
  const [ga, gb, gs]: Grid[] = [gridOf(a), gridOf(b), new Map()];
  const other = new Map(b.map((d) => [d.name, d]));
  let byChance = 0;
  for (const d of a) {
    const e = other.get(d.name);
    if (!e) continue;
    add(gs, d.name, d.dims, sharedIndices(d.indices, e.indices));
    byChance += (d.indices.length * e.indices.length) / numelOf(d.dims);
  }
  const shared = sum([...gs.values()].flatMap((cells) => [...cells.values()]));
  const nonzeros: [number, number] = [nnzOf(a), nnzOf(b)];
  const union = nonzeros[0] + nonzeros[1] - shared;
  const part = (kind?: TensorKind) => (row: TensorRow): OverlapPart => ({ a: cell(ga, row, kind), b: cell(gb, row, kind), shared: cell(gs, row, kind) });
  const rows = sortRows([...ga.keys(), ...gb.keys()]);
  const kinds = sortKinds([ga, gb].flatMap((g) => [...g.values()].flatMap((cells) => [...cells.keys()])));
  const total = (parts: OverlapPart[]): OverlapPart => ({ a: sum(parts.map((p) => p.a)), b: sum(parts.map((p) => p.b)), shared: sum(parts.map((p) => p.shared)) });
  return {
    nonzeros, shared, union, jaccard: union ? shared / union : 0, byChance,
    byRow: rows.map((r) => ({ row: rowLabel(r), ...part()(r) })),
    byKind: kinds.map((kind) => ({ kind, label: KIND_LABELS[kind], ...total(rows.map(part(kind))) })),
  };
}
