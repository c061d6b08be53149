/**
 * Where two packs of one base put their nonzeros: per kind of base tensor, and how many
 * positions they share against what chance would give, Σ over tensors of n₁·n₂ / size
 * (independent uniform draws with the same per-tensor counts). docs/results.md uses it to
 * ask whether a method's selection repeats across seeds.
 * `node dist/support/pack-overlap.js A.taskpack B.taskpack` prints JSON.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { decodePack } from '../src-main/packs/codec.js';
import { numelOf, type SparseDiff } from '../src-main/packs/format.js';

/** Tensor kind: the layer prefix dropped; biases, gains and layer norms in one group. */
export const tensorKind = (name: string) =>
  /\.(b|g|beta|gamma)$/.test(name) ? 'biases and layer norms' : name.replace(/^l\d+\./, '');

export interface Overlap {
  nonzeros: [number, number];
  byKind: Record<string, [number, number]>;
  shared: number;
  byChance: number;
}

export function positionOverlap(a: readonly SparseDiff[], b: readonly SparseDiff[]): Overlap {
  const byKind: Record<string, [number, number]> = {};
  [a, b].forEach((diffs, k) => {
    for (const d of diffs) (byKind[tensorKind(d.name)] ??= [0, 0])[k] += d.indices.length;
  });
  const other = new Map(b.map((d) => [d.name, d]));
  let shared = 0, byChance = 0;
  for (const d of a) {
    const e = other.get(d.name);
    if (!e) continue;
    const there = new Set(e.indices);
    for (const i of d.indices) if (there.has(i)) shared++;
    byChance += (d.indices.length * e.indices.length) / numelOf(d.dims);
  }
  const count = (diffs: readonly SparseDiff[]) => diffs.reduce((n, d) => n + d.indices.length, 0);
  return { nonzeros: [count(a), count(b)], byKind, shared, byChance };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const paths = process.argv.slice(2);
  if (paths.length !== 2) throw new Error('usage: node dist/support/pack-overlap.js A.taskpack B.taskpack');
  const [a, b] = paths.map((p) => decodePack(readFileSync(p)).diffs);
  console.log(JSON.stringify(positionOverlap(a, b), null, 2));
}
