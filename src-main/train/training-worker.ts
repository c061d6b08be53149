/**
 * A training run in a worker thread, so that session.run (synchronous inside ONNX Runtime,
 * a second or more per step) never blocks the caller's event loop (the Electron main
 * process, the CLI's signal handling). Only paths, the config and small results cross the
 * thread boundary: the worker loads the data and the base itself, and sends back progress
 * events and the encoded pack (an explore job: each explored point and its pack).
 */
import { Worker } from 'node:worker_threads';
import { ensureXdgRuntimeDir, workerEntry } from '../runtime/index.js';
import { lockRun } from './checkpoint.js';
import type { ExploreEvent, ExploredPoint } from './explore.js';
import type { Metrics } from '../data/metrics.js';
import type { RunJob } from './run-job.js';
import type { TrainEvent } from './trainer.js';

export interface TrainingJob extends RunJob {
  home: string;
  /** `<home>/runs/<runId>`: checkpoints; an existing checkpoint is resumed. Locked while the job runs. */
  runDir: string;
  /** Instead of training: explore other sparsities from the run's saved L0 state (explore.ts). */
  explore?: { targets: number[]; steps?: number };
}

/** What the worker reports besides the trainer's (or explorer's) own events. */
export type JobEvent = TrainEvent | ExploreEvent | { kind: 'loaded'; baseId: string; trainRows: number; devRows: number; warnings: string[] };

export type JobOutcome =
  | { status: 'done'; packBytes: Uint8Array; devMetrics: Metrics; nonzeros: number; steps: number; seconds: number;
    projection?: { nonzeroBefore: number; total: number; nnz: number } }
  | { status: 'explored'; steps: number; points: ExploredPoint[] }
  | { status: 'cancelled'; checkpoint: string; step: number };

/** Worker → host messages. */
export type JobMessage = { event: JobEvent } | { outcome: JobOutcome } | { error: { message: string; stack?: string } };

export class TrainingWorker {
  private readonly worker: Worker;
  /** Settles when the run ends: done, cancelled (with a checkpoint to resume), or failed. */
  readonly outcome: Promise<JobOutcome>;

  constructor(job: TrainingJob, onEvent: (e: JobEvent) => void = () => {}) {
    ensureXdgRuntimeDir();
    const entry = workerEntry(import.meta.url, 'training-worker-entry');
    const lock = lockRun(job.runDir); // held until the run ends; another process's run of this directory is refused
    try {
      this.worker = new Worker(entry.start, { eval: entry.eval, workerData: job, name: 'taskpack-training' });
    } catch (e) {
      lock.release();
      throw e;
    }
    this.outcome = new Promise<JobOutcome>((resolve, reject) => {
      let settled = false;
      const settle = (f: () => void) => { if (!settled) { settled = true; f(); lock.release(); void this.worker.terminate(); } };
      this.worker.on('message', (m: JobMessage) => {
        if ('event' in m) onEvent(m.event);
        else if ('outcome' in m) settle(() => resolve(m.outcome));
        else settle(() => reject(Object.assign(new Error(m.error.message), { stack: m.error.stack })));
      });
      this.worker.on('error', (e) => settle(() => reject(e)));
      this.worker.on('exit', (code) => settle(() => reject(new Error(`training worker exited (code ${code}) before the run ended`))));
    });
  }

  /** Stop after the current step; the outcome is then 'cancelled' with a checkpoint. */
  cancel(): void {
    this.worker.postMessage('cancel');
  }

  /**
   * Let the process exit without waiting for this worker (it still checkpoints if it gets
   * the time). Not terminate(): stopping a thread inside an ONNX Runtime call aborts the
   * whole process.
   */
  release(): void {
    this.worker.unref();
  }
}
