/**
 * What the app shows of a training run (train/app-runs.ts answers it, the IPC contract and
 * the renderer depend on the shape): types only, so nothing here pulls in the trainer.
 */
export type RunState = 'running' | 'cancelling' | 'cancelled' | 'done' | 'failed' | 'interrupted';

export interface RunProgress {
  phase: string;
  phaseIndex: number;
  step: number;
  totalSteps: number;
  /** 0-based, within the phase (shown 1-based). */
  epoch: number;
  loss: number;
  taskLoss: number;
  /** Diff methods in their L0 phase: E[L0] and E[nonzeros of δ]. */
  expectedL0?: number;
  expectedNonzeros?: number;
  lambda?: number;
  lr: number;
  examplesPerSecond: number;
  etaSeconds: number;
}

export interface RunStatus {
  runId: string;
  taskName: string;
  method: string;
  state: RunState;
  rows: { train: number; dev: number } | null;
  /** The newest step. */
  progress: RunProgress | null;
  /** [step, loss] of every step from the asked-for cursor on, and the cursor to ask from next. */
  losses: [number, number][];
  nextCursor: number;
  evals: { phase: string; step: number; metrics: Record<string, number>; nonzeros: number }[];
  projection: { nonzeroBefore: number; total: number; nnz: number; effectiveSparsityBefore: number } | null;
  /** The execution provider the steps run on (and why it fell back, if it did). */
  device: string | null;
  /** A finished run: the pack it made, installed in the store. */
  result: { packId: string; devMetrics: Record<string, number>; nonzeros: number; bytes: number; seconds: number } | null;
  /** Where a cancelled run stopped (resume continues from its checkpoint). */
  stoppedAtStep: number | null;
  error: string | null;
  /** What the user should know that did not stop the run: a damaged checkpoint passed over on resume. */
  warnings: string[];
  /** The sparsity explorer on this run's L0 state, once started. */
  explore: ExploreStatus | null;
  /** Bytes the run keeps on disk (its data copy, checkpoints, L0 state); in train:list's answers. */
  diskBytes?: number;
}

/** Re-projections of a finished L0 phase to other sparsities, each with a short fixed-mask finetune. */
export interface ExploreStatus {
  state: 'running' | 'cancelling' | 'cancelled' | 'done' | 'failed';
  targets: number[];
  /** The target being finetuned. */
  current: { index: number; count: number; sparsity: number; step: number; totalSteps: number; etaSeconds: number } | null;
  points: ExplorePointStatus[];
  error: string | null;
}

export interface ExplorePointStatus {
  sparsity: number;
  nnz: number;
  total: number;
  packBytes: number;
  metrics: Record<string, number>;
  seconds: number;
  /** Set once the user installed this point's pack. */
  installedPackId: string | null;
}

/** One run of a comparison (train/run-queue.ts): queued until its turn, then the run's own state. */
export interface QueueRunStatus {
  method: string;
  /** The budget it trains at (the diff's share of the base; ignored by methods without one). */
  sparsity: number;
  /** LoRA's rank and adapters' bottleneck where the run set them. */
  rank?: number;
  bottleneck?: number;
  loraAlpha?: number;
  loraTargets?: 'qv' | 'all';
  runId: string | null;
  state: RunState | 'queued';
  progress: RunProgress | null;
  result: RunStatus['result'];
  error: string | null;
}

/** Compare methods: several runs one after another on the same data, split and seed. */
export interface QueueStatus {
  queueId: string;
  taskName: string;
  /** 'paused': a run was cancelled and others wait; resuming it lets the queue go on. */
  state: 'running' | 'paused' | 'done';
  runs: QueueRunStatus[];
}
