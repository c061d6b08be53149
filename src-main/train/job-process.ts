/**
 * A training job's process: what it and its host say to each other, and how it starts
 * (`child_process.fork` of the entry by default). A packaged Electron app cannot fork (its
 * runAsNode fuse is off, and fork runs Electron's binary as Node through
 * ELECTRON_RUN_AS_NODE), so its main process installs a launcher on Electron's
 * utilityProcess instead (setJobLauncher); the entry speaks to either.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Metrics } from '../data/metrics.js';
import type { ExploreEvent, ExploredPoint } from './explore.js';
import type { RunJob } from './run-job.js';
import type { TrainEvent } from './trainer.js';

export interface TrainingJob extends RunJob {
  home: string;
  /** `<home>/runs/<runId>`: checkpoints; an existing checkpoint is resumed. Locked while the job runs. */
  runDir: string;
  /** Instead of training: explore other sparsities from the run's saved L0 state (explore.ts). */
  explore?: { targets: number[]; steps?: number };
}

/** What the job reports besides the trainer's (or explorer's) own events. */
export type JobEvent = TrainEvent | ExploreEvent | { kind: 'loaded'; baseId: string; trainRows: number; devRows: number; warnings: string[] };

export type JobOutcome =
  | { status: 'done'; packBytes: Uint8Array; devMetrics: Metrics; nonzeros: number; steps: number; seconds: number;
    projection?: { nonzeroBefore: number; total: number; nnz: number } }
  | { status: 'explored'; steps: number; points: ExploredPoint[] }
  | { status: 'cancelled'; checkpoint: string; step: number };

/** Job → host messages. */
export type JobMessage = { event: JobEvent } | { outcome: JobOutcome } | { error: { message: string; stack?: string } };

/** Host → job messages: the job first, then perhaps a cancel. */
export type HostMessage = { job: TrainingJob } | 'cancel';

/** What the host hears from a job's process. */
export interface JobListener {
  message(m: JobMessage): void;
  /** The process ended: `why` describes an abnormal end (a signal, a non-zero code), null for a clean exit. */
  exit(why: string | null): void;
}

/** The host's handle on a job's process. */
export interface JobProcess {
  /** Deliver a message; a no-op once the process is gone. */
  send(m: HostMessage): void;
  /** Stop the process now (it leaves no checkpoint). */
  kill(): void;
  /** Let the host exit without waiting for the process (which then ends too). */
  unref(): void;
}

export type JobLauncher = (entry: URL, listener: JobListener) => JobProcess;

/** The argument that tells the entry it is a job's process (and not a file a test runner imports). */
export const JOB_ARG = '--taskpack-job';

/**
 * Node: fork with structured-clone messages (typed arrays cross as such). The child's
 * stdout goes to this process's stderr, so a `--json` document on stdout stays whole; its
 * flags are only tsx's loader for a TypeScript entry (not this process's --inspect or --test).
 */
export const forkJob: JobLauncher = (entry, listener) => {
  const execArgv = entry.pathname.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];
  const child = fork(fileURLToPath(entry), [JOB_ARG], { serialization: 'advanced', execArgv, stdio: ['ignore', 2, 'inherit', 'ipc'] });
  child.on('message', (m: JobMessage) => listener.message(m));
  // A process that could not start has no pid and may never emit 'exit'; other errors (IPC) end in 'exit'.
  child.on('error', (e) => { if (child.pid === undefined) listener.exit(`could not start (${e.message})`); });
  child.on('exit', (code, signal) => listener.exit(signal ? `was killed by ${signal}` : code ? `exited with code ${code}` : null));
  return {
    send: (m) => { if (child.connected) child.send(m); },
    kill: () => { child.kill('SIGKILL'); },
    unref: () => { child.channel?.unref(); child.unref(); },
  };
};

let launcher: JobLauncher = forkJob;

export const launchJob: JobLauncher = (entry, listener) => launcher(entry, listener);

/** Start later jobs with `l` (Electron's main process: on utilityProcess). */
export function setJobLauncher(l: JobLauncher): void {
  launcher = l;
}
