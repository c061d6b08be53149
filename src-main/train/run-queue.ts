/**
 * Compare methods (the finetune wizard): several methods, each at its budget, trained one
 * after another on the same data, split and seed, as ordinary app runs (app-runs.ts): each
 * has its own live progress, cancel and resume, and installs its pack when done, so the
 * Storage page shows it as a measured point. A cancelled run holds the queue; once resumed
 * and finished, the queue goes on. A run that fails does not hold it. Queues live as long
 * as the app; their started runs are listed and resumable as any run after a restart.
 */
import { randomBytes } from 'node:crypto';
import type { StartRun, TrainingRuns } from './app-runs.js';
import type { QueueRunStatus, QueueStatus } from './run-status.js';

/** What differs between the runs of a comparison: the method and its budget (a new budget field joins this Pick). */
export type MethodBudget = Pick<StartRun, 'method' | 'sparsity' | 'modules'>;
/** What they share. */
export type SharedRun = Omit<StartRun, keyof MethodBudget>;

interface Entry { budget: MethodBudget; runId: string | null; error: string | null }

export class RunQueues {
  private readonly queues = new Map<string, { shared: SharedRun; entries: Entry[] }>();

  constructor(private readonly runs: TrainingRuns) {
    runs.onSettled = (runId) => this.settled(runId);
  }

  start(shared: SharedRun, budgets: MethodBudget[]): QueueStatus {
    if (budgets.length === 0) throw new Error('a comparison needs at least one method');
    const queueId = randomBytes(8).toString('hex');
    this.queues.set(queueId, { shared, entries: budgets.map((budget) => ({ budget, runId: null, error: null })) });
    this.next(queueId);
    return this.status(queueId);
  }

  status(queueId: string): QueueStatus {
    const q = this.queues.get(queueId);
    if (!q) throw new Error(`no comparison '${queueId}' in this session`);
    const runs = q.entries.map(({ budget, runId, error }): QueueRunStatus => {
      const s = runId === null ? null : this.runs.status(runId, Number.MAX_SAFE_INTEGER);
      return {
        method: budget.method, sparsity: budget.sparsity, ...(budget.modules ?? {}), runId, state: s?.state ?? (error === null ? 'queued' : 'failed'),
        progress: s?.progress ?? null, result: s?.result ?? null, error: s?.error ?? error,
      };
    });
    const state = runs.some((r) => r.state === 'running' || r.state === 'cancelling') ? 'running' : runs.some((r) => r.state === 'queued') ? 'paused' : 'done';
    return { queueId, taskName: q.shared.taskName, state, runs };
  }

  /** A run ended: unless it was cancelled, its queue starts the next. */
  private settled(runId: string): void {
    for (const [queueId, q] of this.queues) {
      if (q.entries.some((e) => e.runId === runId) && this.runs.status(runId).state !== 'cancelled') this.next(queueId);
    }
  }

  /** Start the first entry not yet started; one refused at the start is marked failed and the next one tried. */
  private next(queueId: string): void {
    const { shared, entries } = this.queues.get(queueId)!;
    for (const e of entries) {
      if (e.runId !== null || e.error !== null) continue;
      try {
        e.runId = this.runs.start({ ...shared, ...e.budget }).runId;
        return;
      } catch (err) {
        e.error = err instanceof Error ? err.message.split('\n', 1)[0] : String(err);
      }
    }
  }
}
