/**
 * The storage comparison (`taskpack storage`, the app's Storage page): per installed task
 * (its packs grouped by task name and base), one point per method and budget with the
 * bytes a task costs and its dev metric, as measured from the installed packs; and, where
 * no pack of that method and budget is installed, estimated points (full copies, adapters,
 * LoRA) sized from the base's own tensor names and shapes (float32 parameters), with no
 * metric. The Pareto frontier is drawn through the measured points.
 *
 * A new method is one line in PACK_BUDGETS (how its budget reads off an installed pack)
 * and, for an estimate, one in ESTIMATES.
 */
import { listBaseIds, readBaseManifest, type BaseManifest } from '../model/base-store.js';
import { defaultBaseId, ensureShippedBase } from '../model/registry.js';
import { moduleParams, type ModuleSpec } from '../model/modules.js';
import { numelOf } from './format.js';
import { PackStore, PackStoreError, type PackEntry } from './store.js';
import { PRIMARY_METRICS, type Budget, type StoragePoint, type StorageReport, type StorageTask } from './storage-report.js';

export type { Budget, BudgetKind, StoragePoint, StorageReport, StorageTask } from './storage-report.js';

export const ADAPTER_BOTTLENECKS = [64, 256] as const;
export const LORA_RANKS = [8, 16] as const;

type Shapes = ReadonlyMap<string, readonly number[]>;

/**
 * Float32 parameters of a module method's task (model/modules.ts); undefined where the base
 * cannot host that size (a bottleneck wider than the layer it adapts, a rank above a
 * target's width): that estimate is left out rather than failing the whole comparison.
 */
function moduleSize(shapes: Shapes, spec: ModuleSpec): number | undefined {
  try {
    return moduleParams(spec, Object.fromEntries([...shapes].map(([n, d]) => [n, [...d]])));
  } catch {
    return undefined;
  }
}

/** How an installed pack's budget reads off its store entry, per method; methods not listed have none (full, bitfit, last-layer). */
export const PACK_BUDGETS: Readonly<Record<string, (pack: PackEntry, baseParameters: number) => Budget | null>> = {
  diff: (p, n) => ({ kind: 'sparsity', value: p.nnz / n }),
  'diff-structured': (p, n) => ({ kind: 'sparsity', value: p.nnz / n }),
  magnitude: (p, n) => ({ kind: 'sparsity', value: p.nnz / n }),
  lora: (p) => (p.module?.kind === 'lora' ? { kind: 'rank', value: p.module.rank } : null),
  'adapter-houlsby': (p) => (p.module?.kind === 'adapter' ? { kind: 'bottleneck', value: p.module.bottleneck } : null),
  'adapter-pfeiffer': (p) => (p.module?.kind === 'adapter' ? { kind: 'bottleneck', value: p.module.bottleneck } : null),
};

const adapter = (variant: 'houlsby' | 'pfeiffer', bottleneck: number) =>
  ({ method: `adapter-${variant}`, budget: { kind: 'bottleneck' as const, value: bottleneck }, spec: { kind: 'adapter' as const, variant, bottleneck } });

/** The diff pruning budget the wizard and the CLI default to (0.5 % of the base, as the paper). */
export const DEFAULT_DIFF_SPARSITY = 0.005;

/**
 * Ways to hold a task that are sized, not trained here: bytes of float32 parameters from the
 * base's shapes (plus the task's head); a diff also keeps an int32 position per value.
 */
export const ESTIMATES: readonly { method: string; budget: Budget | null; bytes: (shapes: Shapes, baseParameters: number) => number | undefined; sharesBase: boolean }[] = [
  // A full copy is the whole base per task, not on top of a shared one.
  { method: 'full', budget: null, bytes: (_s, n) => 4 * n, sharesBase: false },
  { method: 'diff-structured', budget: { kind: 'sparsity', value: DEFAULT_DIFF_SPARSITY }, bytes: (_s, n) => 8 * Math.ceil(DEFAULT_DIFF_SPARSITY * n), sharesBase: true },
  ...[
    ...ADAPTER_BOTTLENECKS.map((m) => adapter('houlsby', m)),
    ...ADAPTER_BOTTLENECKS.map((m) => adapter('pfeiffer', m)),
    // Hu et al.'s GLUE setting: W_q and W_v, α = r.
    ...LORA_RANKS.map((r) => ({ method: 'lora', budget: { kind: 'rank' as const, value: r }, spec: { kind: 'lora' as const, rank: r, alpha: r, targets: 'qv' as const } })),
  ].map(({ method, budget, spec }) => ({ method, budget, bytes: (s: Shapes) => { const n = moduleSize(s, spec); return n === undefined ? undefined : 4 * n; }, sharesBase: true })),
];

const budgetKey = (method: string, b: Budget | null) => `${method}|${b ? `${b.kind}:${b.value.toPrecision(4)}` : ''}`;

/** Marks the measured points no other measured point beats on both axes. */
export function markFrontier(points: StoragePoint[]): void {
  const ranked = points.filter((p) => p.metric !== null).sort((a, b) => a.bytesPerTask - b.bytesPerTask || b.metric! - a.metric!);
  let best = -Infinity;
  for (const p of ranked) {
    p.frontier = p.metric! > best;
    best = Math.max(best, p.metric!);
  }
}

/** One task's points: its packs (the newest per method and budget), then the estimates no pack stands for. */
function taskPoints(packs: PackEntry[], manifest: BaseManifest, tasks: number): StorageTask {
  const shapes: Shapes = new Map(manifest.tensors.map((t) => [t.name, t.dims]));
  const parameters = manifest.tensors.reduce((a, t) => a + numelOf(t.dims), 0);
  const base = { id: manifest.id, parameters, bytes: 4 * parameters };
  const metric = PRIMARY_METRICS.find((m) => packs.some((p) => m in p.devMetrics)) ?? null;
  const byKey = new Map<string, StoragePoint>();
  for (const p of packs) {
    const budget = PACK_BUDGETS[p.method]?.(p, parameters) ?? null;
    byKey.set(budgetKey(p.method, budget), {
      method: p.method, budget, bytesPerTask: p.bytes, totalBytes: base.bytes + tasks * p.bytes,
      metric: metric === null ? null : p.devMetrics[metric] ?? null, estimated: false, packId: p.id, frontier: false,
    });
  }
  const head = packs.length ? packs.reduce((a, p) => a + p.denseBytes, 0) / packs.length : 0;
  for (const e of ESTIMATES) {
    const bytes = e.bytes(shapes, parameters);
    if (bytes === undefined || byKey.has(budgetKey(e.method, e.budget))) continue;
    const bytesPerTask = bytes + head;
    byKey.set(budgetKey(e.method, e.budget), {
      method: e.method, budget: e.budget, bytesPerTask, totalBytes: (e.sharesBase ? base.bytes : 0) + tasks * bytesPerTask,
      metric: null, estimated: true, packId: null, frontier: false,
    });
  }
  const points = [...byKey.values()].sort((a, b) => a.bytesPerTask - b.bytesPerTask);
  markFrontier(points);
  return { name: packs[0]?.task.name ?? null, labels: packs[0]?.task.labels ?? [], base, metric, points };
}

export function storageReport(home: string, opts: { tasks?: number; baseId?: string } = {}): StorageReport {
  if (opts.tasks !== undefined && !(Number.isInteger(opts.tasks) && opts.tasks >= 1)) throw new PackStoreError(`--tasks must be a positive integer, got ${opts.tasks}`);
  const ids = listBaseIds(home);
  if (opts.baseId && !ids.includes(opts.baseId)) throw new PackStoreError(`base '${opts.baseId}' is not installed (see 'taskpack base list')`);
  const manifests = ids.filter((id) => !opts.baseId || id === opts.baseId).map((id) => readBaseManifest(home, id));
  const installed = new PackStore(home).list().filter((p) => !opts.baseId || p.base.id === opts.baseId);
  const groups = new Map<string, { manifest: BaseManifest; packs: PackEntry[] }>();
  const unsized: StorageReport['unsized'] = [];
  for (const p of installed) {
    const manifest = manifests.find((m) => m.fingerprint === p.base.fingerprint);
    if (!manifest) {
      if (!unsized.some((u) => u.name === p.task.name && u.baseId === p.base.id)) unsized.push({ name: p.task.name, baseId: p.base.id });
      continue;
    }
    // Same name, labels and type: one task (two tasks both named after a file `train.tsv` stay apart).
    const key = JSON.stringify([p.task.name, p.task.type, p.task.labels, manifest.fingerprint]);
    const group = groups.get(key) ?? { manifest, packs: [] };
    group.packs.push(p);
    groups.set(key, group);
  }
  // By default, what the tasks installed here would cost if each were held each way.
  const tasks = opts.tasks ?? Math.max(1, groups.size);
  const sized = [...groups.values()].map((g) => taskPoints(g.packs, g.manifest, tasks));
  if (sized.length === 0) {
    if (!manifests[0]) throw new PackStoreError('no base is installed: the comparison is sized from a base (see \'taskpack base list\')');
    sized.push(taskPoints([], manifests[0], tasks));
  }
  return { tasks, groups: sized, unsized };
}

/** The report, sized from the shipped base (converted on first use) when no base is installed yet. */
export function storageComparison(home: string, opts: { tasks?: number; baseId?: string } = {}, log: (line: string) => void = () => {}): StorageReport {
  if (!opts.baseId && listBaseIds(home).length === 0) ensureShippedBase(home, defaultBaseId(), log);
  return storageReport(home, opts);
}
