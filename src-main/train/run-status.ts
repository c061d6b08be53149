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
