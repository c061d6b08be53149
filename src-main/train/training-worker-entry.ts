/** The worker side of TrainingWorker: loads the job's data and base, runs the Trainer (or, for an explore job, the Explorer). */
import { parentPort, workerData } from 'node:worker_threads';
import { loadTrainDev, readingWarnings } from '../data/index.js';
import { loadBase } from '../model/registry.js';
import { encodePack } from '../packs/codec.js';
import { Explorer } from './explore.js';
import { Trainer } from './trainer.js';
import type { JobMessage, JobOutcome, TrainingJob } from './training-worker.js';

const port = parentPort;
// node --test scans every file under dist/: outside a worker there is nothing to do.
if (port) {
  const post = (m: JobMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
  try {
    const job = workerData as TrainingJob;
    const { train, dev } = loadTrainDev(job.trainPath, job.devPath, { seed: job.config.seed, ...job.columns });
    const base = loadBase(job.home, job.baseId);
    post({ event: { kind: 'loaded', baseId: base.id, trainRows: train.rows.length, devRows: dev.rows.length, warnings: readingWarnings(train, dev) } });
    const common = { base, train, dev, config: job.config, provider: job.provider, runDir: job.runDir, taskName: job.taskName ?? train.source.glue };
    let outcome: JobOutcome;
    if (job.explore) {
      const explorer = new Explorer({ ...common, ...job.explore, onEvent: (event) => post({ event }) });
      port.on('message', (m) => { if (m === 'cancel') explorer.cancel(); });
      const result = await explorer.run();
      outcome = result.status === 'cancelled' ? result : { status: 'explored', steps: result.steps, points: result.points };
    } else {
      const trainer = new Trainer({ ...common, onEvent: (event) => post({ event }) });
      port.on('message', (m) => { if (m === 'cancel') trainer.cancel(); });
      const result = await trainer.run();
      outcome = result.status === 'cancelled' ? result : {
        status: 'done', packBytes: encodePack(result.pack), devMetrics: result.devMetrics, steps: result.steps, seconds: result.seconds,
        nonzeros: result.pack.diffs.reduce((a, d) => a + d.indices.length, 0),
        ...(result.projection ? { projection: result.projection } : {}),
      };
    }
    post({ outcome }, packBuffers(outcome));
  } catch (e) {
    post({ error: { message: e instanceof Error ? e.message : String(e), ...(e instanceof Error && e.stack ? { stack: e.stack } : {}) } });
  }
  port.unref();
}

/** The outcome's pack bytes, moved to the host rather than copied. */
function packBuffers(outcome: JobOutcome): ArrayBuffer[] {
  if (outcome.status === 'done') return [outcome.packBytes.buffer as ArrayBuffer];
  if (outcome.status === 'explored') return outcome.points.map((p) => p.pack.buffer as ArrayBuffer);
  return [];
}
