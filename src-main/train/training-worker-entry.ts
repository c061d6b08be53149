/**
 * The process side of TrainingWorker: receives the job, loads its data and base, runs the
 * Trainer (or, for an explore job, the Explorer), and exits once its answer is sent.
 */
import { loadTrainDev, readingWarnings } from '../data/index.js';
import { loadBase } from '../model/registry.js';
import { encodePack } from '../packs/codec.js';
import { Explorer } from './explore.js';
import { JOB_ARG, type HostMessage, type JobMessage, type JobOutcome, type TrainingJob } from './job-process.js';
import { Trainer } from './trainer.js';

/** The host's end: Node's IPC channel (child_process.fork), or Electron's parentPort (utilityProcess). */
interface Host {
  on(listener: (m: HostMessage) => void): void;
  post(m: JobMessage): void;
  /** Post the job's answer, its last message, and end. */
  answer(m: JobMessage): void;
}

interface ParentPort { on(e: 'message', f: (e: { data: HostMessage }) => void): void; postMessage(m: JobMessage): void }

function host(): Host | undefined {
  const port = (process as { parentPort?: ParentPort }).parentPort;
  // Electron's host ends this process once it has the answer.
  if (port) return { on: (f) => port.on('message', (e) => f(e.data)), post: (m) => port.postMessage(m), answer: (m) => port.postMessage(m) };
  if (!process.send) return undefined;
  const send: NonNullable<typeof process.send> = process.send.bind(process);
  // A host that is gone (crashed, killed, or done with this run) takes the run with it:
  // its lock on the run directory went with it, so nothing more may be written there.
  process.on('disconnect', () => process.exit(0));
  return { on: (f) => process.on('message', f), post: (m) => send(m), answer: (m) => send(m, undefined, undefined, () => process.disconnect?.()) };
}

/** Cancel the run: before the trainer exists (the data or the base still loading), when it does. */
let cancelled = false;
let cancel = () => { cancelled = true; };
function cancellable(job: { cancel(): void }): void {
  cancel = () => job.cancel();
  if (cancelled) job.cancel();
}

const parent = process.argv.includes(JOB_ARG) ? host() : undefined;
if (parent) {
  // Ctrl-C in a terminal reaches every process of its group: the host decides (it cancels, and the run checkpoints).
  process.on('SIGINT', () => {});
  parent.on((m) => { if (m === 'cancel') cancel(); else void run(m.job, parent); });
}

async function run(job: TrainingJob, parent: Host): Promise<void> {
  const post = (m: JobMessage) => parent.post(m);
  let answer: JobMessage;
  try {
    const { train, dev } = loadTrainDev(job.trainPath, job.devPath, { seed: job.config.seed, ...job.columns });
    const base = loadBase(job.home, job.baseId);
    post({ event: { kind: 'loaded', baseId: base.id, trainRows: train.rows.length, devRows: dev.rows.length, warnings: readingWarnings(train, dev) } });
    const common = { base, train, dev, config: job.config, provider: job.provider, runDir: job.runDir, taskName: job.taskName ?? train.source.glue };
    let outcome: JobOutcome;
    if (job.explore) {
      const explorer = new Explorer({ ...common, ...job.explore, onEvent: (event) => post({ event }) });
      cancellable(explorer);
      const result = await explorer.run();
      outcome = result.status === 'cancelled' ? result : { status: 'explored', steps: result.steps, points: result.points };
    } else {
      const trainer = new Trainer({ ...common, onEvent: (event) => post({ event }) });
      cancellable(trainer);
      const result = await trainer.run();
      outcome = result.status === 'cancelled' ? result : {
        status: 'done', packBytes: encodePack(result.pack), devMetrics: result.devMetrics, steps: result.steps, seconds: result.seconds,
        nonzeros: result.pack.diffs.reduce((a, d) => a + d.indices.length, 0),
        ...(result.projection ? { projection: result.projection } : {}),
      };
    }
    answer = { outcome };
  } catch (e) {
    answer = { error: { message: e instanceof Error ? e.message : String(e), ...(e instanceof Error && e.stack ? { stack: e.stack } : {}) } };
  }
  parent.answer(answer);
}
