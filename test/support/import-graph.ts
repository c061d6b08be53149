/**
 * The project's import graph and the rules it must keep (docs/architecture.md): every
 * import in src-main runs down the layers, none runs in a circle. TypeScript's own
 * pre-processor reads the imports (static, `import type`, re-exports, dynamic `import()`),
 * so the check sees what the compiler sees.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, sep } from 'node:path';
import ts from 'typescript';

/** An import from one source file to another, as paths relative to the root with '/'. */
export interface Edge { from: string; to: string }

const SOURCE = /\.(c|m)?ts$/;
const toPosix = (p: string) => p.split(sep).join('/');

/** Every relative import of the .ts/.cts files under `dirs` (relative to `root`). */
export function importEdges(root: string, dirs: readonly string[]): Edge[] {
  const edges: Edge[] = [];
  for (const dir of dirs) {
    for (const name of readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })) {
      if (!SOURCE.test(name)) continue;
      const from = toPosix(join(dir, name));
      for (const { fileName } of ts.preProcessFile(readFileSync(join(root, from), 'utf8'), true, true).importedFiles) {
        if (!fileName.startsWith('.')) continue; // packages and node: builtins
        const to = posix.normalize(posix.join(posix.dirname(from), fileName)).replace(/\.js$/, '.ts').replace(/\.cjs$/, '.cts');
        edges.push({ from, to });
      }
    }
  }
  return edges;
}

/**
 * The unit a file belongs to for layering: its top folder, and inside src-main its folder
 * there (`train`, `graph`…) or, for a file at src-main's top, its name (`main`, `paths`…).
 */
export function unitOf(file: string): string {
  const [top, second, third] = file.split('/');
  if (top !== 'src-main') return top;
  return third === undefined ? second.replace(/\.c?ts$/, '') : second;
}

/**
 * Imports that break the layering: a unit may import itself or a unit on a lower floor,
 * never one on its own floor (floors hold independent peers) or above. A unit on no floor
 * is reported too, so a new folder has to be placed.
 */
export function upwardImports(edges: readonly Edge[], floors: readonly (readonly string[])[]): string[] {
  const floorOf = new Map(floors.flatMap((units, i) => units.map((u) => [u, i] as const)));
  const found = new Set<string>();
  for (const { from, to } of edges) {
    const a = unitOf(from), b = unitOf(to);
    if (a === b) continue;
    const fa = floorOf.get(a), fb = floorOf.get(b);
    if (fa === undefined || fb === undefined) found.add(`${from} -> ${to}: '${fa === undefined ? a : b}' is on no floor`);
    else if (fb <= fa) found.add(`${from} -> ${to}: '${a}' may not import '${b}' (${fb === fa ? 'same floor' : 'a floor above'})`);
  }
  return [...found].sort();
}

/** Circles of imports: the strongly connected components of more than one file, or a file importing itself (Tarjan). */
export function importCycles(edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) {
    next.set(from, [...(next.get(from) ?? []), to]);
    if (!next.has(to)) next.set(to, []);
  }
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v)!) {
      if (!index.has(w)) visit(w), low.set(v, Math.min(low.get(v)!, low.get(w)!));
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do onStack.delete((w = stack.pop()!)), component.push(w);
    while (w !== v);
    if (component.length > 1 || next.get(v)!.includes(v)) cycles.push(component.sort());
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return cycles.sort((a, b) => a[0].localeCompare(b[0]));
}

/** Imports from files under the top folder `from` into files under any of `forbidden` (e.g. src-main into test). */
export function crossings(edges: readonly Edge[], from: string, forbidden: readonly string[]): string[] {
  return edges.filter((e) => e.from.startsWith(`${from}/`) && forbidden.some((f) => e.to.startsWith(`${f}/`)))
    .map((e) => `${e.from} -> ${e.to}`);
}
