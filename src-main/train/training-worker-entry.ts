/** The worker side of TrainingWorker: loads the job's data and base, runs the Trainer. */
import { parentPort, workerData } from 'node:worker_threads';
import { loadTrainDev } from '../data/index.js';
import { loadBase } from '../model/registry.js';
import { encodePack } from '../packs/codec.js';
import { Trainer } from './trainer.js';
import type { JobMessage, TrainingJob } from './training-worker.js';

const port = parentPort;
// node --test scans every file under dist/: outside a worker there is nothing to do.
if (port) {
  const post = (m: JobMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
  try {
    const job = workerData as TrainingJob;
    const { train, dev } = loadTrainDev(job.trainPath, job.devPath, { seed: job.config.seed, ...job.columns });
    const base = loadBase(job.home, job.baseId);
    post({ event: { kind: 'loaded', baseId: base.id, trainRows: train.rows.length, devRows: dev.rows.length } });
    const trainer = new Trainer({
      base, train, dev, config: job.config, provider: job.provider, runDir: job.runDir,
      taskName: job.taskName ?? train.source.glue, onEvent: (event) => post({ event }),
    });
    port.on('message', (m) => { if (m === 'cancel') trainer.cancel(); });
    const result = await trainer.run();
    if (result.status === 'cancelled') post({ outcome: result });
    else {
      const packBytes = encodePack(result.pack);
      post({
        outcome: {
          status: 'done', packBytes, devMetrics: result.devMetrics, steps: result.steps, seconds: result.seconds,
          nonzeros: result.pack.diffs.reduce((a, d) => a + d.indices.length, 0),
          ...(result.projection ? { projection: result.projection } : {}),
        },
      }, [packBytes.buffer as ArrayBuffer]);
    }
  } catch (e) {
    post({ error: { message: e instanceof Error ? e.message : String(e), ...(e instanceof Error && e.stack ? { stack: e.stack } : {}) } });
  }
  port.unref();
}
