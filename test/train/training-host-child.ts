/**
 * Host for the training-process test: starts a TrainingWorker job on the tiny BERT and
 * prints `job <pid>` (its process) once the job has loaded, then waits to be killed.
 * argv: home (with base 'tiny'), run directory, train file, dev file.
 */
import { TrainingWorker } from '../../src-main/train/training-worker.js';
import { TINY_DIFF_CONFIG } from '../../support/trainer-fixtures.js';
import { jobPids } from './job-pids.js';

const [home, runDir, trainPath, devPath] = process.argv.slice(2);
// Started without arguments (e.g. picked up by a test runner scanning test/): nothing to do.
if (home && runDir && trainPath && devPath) {
  const job = new TrainingWorker({ home, baseId: 'tiny', trainPath, devPath, columns: {}, config: { ...TINY_DIFF_CONFIG, epochs: 50 }, runDir, provider: 'cpu' }, (e) => {
    if (e.kind === 'loaded') process.stdout.write(`job ${jobPids().join(' ')}\n`);
  });
  await job.outcome;
}
