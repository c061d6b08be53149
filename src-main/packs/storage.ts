/**
 * The storage-cost comparison (`taskpack storage`): one base plus N task packs as measured
 * in the store, against N full copies, N sets of Houlsby adapters and N LoRA adapters,
 * sized from the base's own tensor names and shapes (float32 parameters).
 */
import { listBaseIds, readBaseManifest, type BaseManifest } from '../model/base-store.js';
import { defaultBaseId, ensureShippedBase } from '../model/registry.js';
import { moduleParams, type ModuleSpec } from '../model/modules.js';
import { numelOf } from './format.js';
import { PackStore, PackStoreError, type PackEntry } from './store.js';

export const ADAPTER_BOTTLENECKS = [64, 256] as const;
export const LORA_RANKS = [8, 16] as const;

type Shapes = ReadonlyMap<string, readonly number[]>;

/**
 * Float32 parameters of a module method's task (model/modules.ts): Houlsby adapters with their
 * LayerNorms, LoRA on W_q and W_v as the paper's GLUE runs; undefined where the base cannot
 * host that size (a bottleneck wider than the layer it adapts, a rank above a target's width):
 * such an option is left out rather than failing the whole comparison on a small base.
 */
function modules(shapes: Shapes, spec: ModuleSpec): number | undefined {
  try {
    return moduleParams(spec, Object.fromEntries([...shapes].map(([n, d]) => [n, [...d]])));
  } catch {
    return undefined;
  }
}

export interface StorageReport {
  base: { id: string; parameters: number; bytes: number };
  tasks: number;
  /** Installed packs for this base, as measured (the first `tasks` are counted). */
  packs: { id: string; name: string; method: string; bytes: number; nnz: number; accuracy: number | null }[];
  /** True when `tasks` exceeds the measured packs: the rest are counted at their mean size. */
  extrapolated: boolean;
  headBytesPerTask: number;
  /** Bytes of each way to hold the N tasks; with no pack measured, the packs row and the ratios are null. */
  options: { method: string; perTaskBytes: number | null; totalBytes: number | null; ratioToPacks: number | null; accuracy: number | null }[];
}

export function storageReport(home: string, opts: { tasks?: number; baseId?: string } = {}): StorageReport {
  const store = new PackStore(home);
  const installed = store.list();
  const manifest = pickBase(home, installed, opts.baseId);
  const shapes: Shapes = new Map(manifest.tensors.map((t) => [t.name, t.dims]));
  const parameters = manifest.tensors.reduce((a, t) => a + numelOf(t.dims), 0);
  const baseBytes = 4 * parameters;
  const mine = installed.filter((p) => p.base.fingerprint === manifest.fingerprint);
  const tasks = opts.tasks ?? Math.max(1, mine.length);
  if (!Number.isInteger(tasks) || tasks < 1) throw new PackStoreError(`--tasks must be a positive integer, got ${opts.tasks}`);
  const counted = mine.slice(0, tasks);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  const meanPack = mean(counted.map((p) => p.bytes));
  const headBytes = mean(counted.map((p) => p.denseBytes));
  const packTotal = counted.reduce((a, p) => a + p.bytes, 0) + (tasks - counted.length) * meanPack;
  const accuracy = (p: PackEntry) => p.devMetrics.accuracy ?? null;
  const meanAccuracy = counted.some((p) => accuracy(p) !== null) ? mean(counted.map(accuracy).filter((a): a is number => a !== null)) : null;
  const packsBytes = counted.length ? baseBytes + packTotal : null;
  const option = (method: string, perTask: number, acc: number | null = null, totalBytes = baseBytes + tasks * perTask) =>
    ({ method, perTaskBytes: perTask, totalBytes, ratioToPacks: packsBytes === null ? null : totalBytes / packsBytes, accuracy: acc });
  return {
    base: { id: manifest.id, parameters, bytes: baseBytes },
    tasks,
    packs: counted.map((p) => ({ id: p.id, name: p.task.name, method: p.method, bytes: p.bytes, nnz: p.nnz, accuracy: accuracy(p) })),
    extrapolated: counted.length < tasks,
    headBytesPerTask: headBytes,
    options: [
      counted.length
        ? option('task packs (measured)', packTotal / tasks, meanAccuracy)
        : { method: 'task packs (none installed)', perTaskBytes: null, totalBytes: null, ratioToPacks: null, accuracy: null },
      // A full copy is the whole base per task, not on top of a shared one.
      option('full copies', baseBytes + headBytes, null, tasks * (baseBytes + headBytes)),
      ...[
        ...ADAPTER_BOTTLENECKS.map((m): [string, ModuleSpec] => [`adapters (Houlsby, bottleneck ${m})`, { kind: 'adapter', variant: 'houlsby', bottleneck: m }]),
        ...LORA_RANKS.map((r): [string, ModuleSpec] => [`LoRA (rank ${r}, query and value)`, { kind: 'lora', rank: r, alpha: r, targets: 'qv' }]),
      ].flatMap(([method, spec]) => {
        const n = modules(shapes, spec);
        return n === undefined ? [] : [option(method, 4 * n + headBytes)];
      }),
    ],
  };
}

/** The report, sized from the shipped base (converted on first use) when no base is installed yet. */
export function storageComparison(home: string, opts: { tasks?: number; baseId?: string } = {}, log: (line: string) => void = () => {}): StorageReport {
  if (!opts.baseId && listBaseIds(home).length === 0) ensureShippedBase(home, defaultBaseId(), log);
  return storageReport(home, opts);
}

function pickBase(home: string, packs: PackEntry[], baseId?: string): BaseManifest {
  const ids = listBaseIds(home);
  if (baseId) {
    if (!ids.includes(baseId)) throw new PackStoreError(`base '${baseId}' is not installed (see 'taskpack base list')`);
    return readBaseManifest(home, baseId);
  }
  const manifests = ids.map((id) => readBaseManifest(home, id));
  const byPacks = manifests.find((m) => packs.some((p) => p.base.fingerprint === m.fingerprint));
  const chosen = byPacks ?? manifests[0];
  if (!chosen) throw new PackStoreError('no base is installed: the comparison is sized from a base (see \'taskpack base list\')');
  return chosen;
}
