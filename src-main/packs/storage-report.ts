/**
 * The storage comparison's shape (storage.ts computes it; the IPC contract and the renderer
 * depend on it): types and the metric order only, so nothing here pulls in the store.
 */
export type BudgetKind = 'sparsity' | 'rank' | 'bottleneck';
/** What a method spends: a share of the base's parameters (diff methods), a LoRA rank, an adapter bottleneck. */
export interface Budget { kind: BudgetKind; value: number }

/** A task's headline dev metric: the first of these its packs report (GLUE leads CoLA with mcc, MRPC and QQP with F1, STS-B with Pearson). */
export const PRIMARY_METRICS = ['mcc', 'f1', 'pearson', 'accuracy', 'spearman'] as const;

export interface StoragePoint {
  method: string;
  budget: Budget | null;
  /** What one more task costs: the pack file's size, or the estimate's float32 parameters plus the head. */
  bytesPerTask: number;
  /** N tasks held this way: the shared base plus N × bytesPerTask (an estimated full copy shares nothing: N × bytesPerTask). */
  totalBytes: number;
  /** The task's primary dev metric from the pack's provenance; null for an estimate (or a pack without it). */
  metric: number | null;
  estimated: boolean;
  packId: string | null;
  /** Measured and not dominated: no other point has a metric at least as high for at most as many bytes. */
  frontier: boolean;
}

export interface StorageTask {
  /** null: no pack is installed on this base yet, so only estimates. */
  name: string | null;
  /** The task's class names (empty for regression, or with no pack): tasks that share a name stay apart by them. */
  labels: string[];
  base: { id: string; parameters: number; bytes: number };
  metric: (typeof PRIMARY_METRICS)[number] | null;
  /** By bytes per task, smallest first. */
  points: StoragePoint[];
}

export interface StorageReport {
  tasks: number;
  groups: StorageTask[];
  /** Installed packs whose base is not installed here: nothing to size them against. */
  unsized: { name: string; baseId: string }[];
}

