/**
 * The storage-cost comparison (`taskpack storage`): one base plus N task packs as measured
 * in the store, against N full copies, N sets of Houlsby adapters and N LoRA adapters,
 * sized from the base's own tensor names and shapes (float32 parameters).
 */
import { listBaseIds, readBaseManifest, type BaseManifest } from '../model/base-store.js';
import { defaultBaseId, ensureShippedBase } from '../model/registry.js';
import { numelOf } from './format.js';
import { PackStore, PackStoreError, type PackEntry } from './store.js';

export const ADAPTER_BOTTLENECKS = [64, 256] as const;
export const LORA_RANKS = [8, 16] as const;

type Shapes = ReadonlyMap<string, readonly number[]>;

/** Layers by their fused-attention tensor: `l<N>.attn.qkv.w` [d_in, 3·d] (the canonical names every base uses). */
function layers(shapes: Shapes): string[] {
  return [...shapes.keys()].map((n) => /^(l\d+)\.attn\.qkv\.w$/.exec(n)?.[1]).filter((p): p is string => p !== undefined);
}

const need = (shapes: Shapes, name: string) => {
  const d = shapes.get(name);
  if (!d || d.length !== 2) throw new PackStoreError(`the base has no 2-D tensor '${name}' to size adapters from`);
  return d;
};

/**
 * Houlsby et al. 2019: two bottleneck adapters per layer (after attention and after the
 * FFN), each down h×m + m and up m×h + h, plus the layer's LayerNorm parameters, which
 * Houlsby adapters also train.
 */
export function houlsbyParams(shapes: Shapes, bottleneck: number): number {
  let n = 0;
  for (const l of layers(shapes)) {
    for (const out of [`${l}.attn.out.w`, `${l}.ffn.out.w`]) {
      const h = need(shapes, out)[1];
      n += 2 * h * bottleneck + h + bottleneck;
    }
    for (const [name, dims] of shapes) if (name.startsWith(`${l}.ln`)) n += numelOf(dims);
  }
  return n;
}

/** Hu et al. 2021 on the attention matrices: W_q, W_k, W_v (the fused QKV's thirds) and W_o, each r·(in + out). */
export function loraParams(shapes: Shapes, rank: number): number {
  let n = 0;
  for (const l of layers(shapes)) {
    const [dIn, three] = need(shapes, `${l}.attn.qkv.w`);
    n += 3 * rank * (dIn + three / 3);
    const [oIn, oOut] = need(shapes, `${l}.attn.out.w`);
    n += rank * (oIn + oOut);
  }
  return n;
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
      ...ADAPTER_BOTTLENECKS.map((m) => option(`adapters (Houlsby, bottleneck ${m})`, 4 * houlsbyParams(shapes, m) + headBytes)),
      ...LORA_RANKS.map((r) => option(`LoRA (rank ${r}, attention)`, 4 * loraParams(shapes, r) + headBytes)),
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
