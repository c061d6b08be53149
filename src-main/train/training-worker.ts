/**
 * A training run in a child process of its own, so that session.run (synchronous inside
 * ONNX Runtime, a second or more per step) never blocks the caller's event loop (the
 * Electron main process, the CLI's signal handling), all of a run's memory goes back to the
 * system when the run ends (freed native memory would stay in this process's malloc arenas),
 * and a crash of the runtime fails the run instead of the app. Only paths, the config and
 * small results cross the process boundary: the child loads the data and the base itself,
 * and sends back progress events and the encoded pack (an explore job: each explored point
 * and its pack).
 */
import { ensureXdgRuntimeDir, workerEntry } from '../runtime/index.js';
import { lockRun } from './checkpoint.js';
import { launchJob, type JobEvent, type JobOutcome, type JobProcess, type TrainingJob } from './job-process.js';

export type { JobEvent, JobMessage, JobOutcome, TrainingJob } from './job-process.js';

/** How long a child that sent its outcome may take to exit before it is killed. */
const EXIT_GRACE_MS = 10_000;

export class TrainingWorker {
  private readonly child: JobProcess;
  /** Settles when the run has ended and its process is gone: done, cancelled (with a checkpoint to resume), or failed. */
  readonly outcome: Promise<JobOutcome>;

  constructor(job: TrainingJob, onEvent: (e: JobEvent) => void = () => {}) {
    ensureXdgRuntimeDir(); // in this process's environment, which the child inherits
    const lock = lockRun(job.runDir); // held until the run ends; another process's run of this directory is refused
    let answer: { outcome: JobOutcome } | { error: Error } | undefined;
    let grace: NodeJS.Timeout | undefined;
    let ended = (_why: string | null) => {};
    // The run's answer stands once its process is gone (its memory with it).
    this.outcome = new Promise<JobOutcome>((resolve, reject) => {
      ended = (why) => {
        ended = () => {};
        clearTimeout(grace);
        lock.release();
        if (answer && 'outcome' in answer) resolve(answer.outcome);
        else reject(answer?.error ?? new Error(`the training process ${why ?? 'exited'} before the run ended (a crash in the runtime, or the system stopped it, e.g. short of memory); a resume goes on from the run's last checkpoint`));
      };
    });
    try {
      this.child = launchJob(workerEntry(import.meta.url, 'training-worker-entry').url, {
        message: (m) => {
          if ('event' in m) return onEvent(m.event);
          answer ??= 'outcome' in m ? { outcome: m.outcome } : { error: Object.assign(new Error(m.error.message), m.error.stack ? { stack: m.error.stack } : {}) };
          grace ??= setTimeout(() => this.child.kill(), EXIT_GRACE_MS);
        },
        exit: (why) => ended(why),
      });
    } catch (e) {
      lock.release();
      throw e;
    }
    this.child.send({ job });
  }

  /** Stop after the current step; the outcome is then 'cancelled' with a checkpoint. */
  cancel(): void {
    this.child.send('cancel');
  }

  /**
   * Let this process exit without waiting for the run, whose process then ends too (the run
   * resumes from its last checkpoint).
   */
  release(): void {
    this.child.unref();
  }
}
