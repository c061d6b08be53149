/**
 * Child for the training crash test: holds the run's lock, trains the tiny BERT on the given
 * files with a checkpoint before every step, prints `step N` as each step ends, and waits
 * to be killed. argv: home (with base 'tiny'), run directory, train file, dev file.
 */
import { importDataset } from '../../src-main/data/index.js';
import { loadBase } from '../../src-main/model/registry.js';
import { lockRun } from '../../src-main/train/checkpoint.js';
import { Trainer } from '../../src-main/train/trainer.js';
import { TINY_DIFF_CONFIG } from '../../support/trainer-fixtures.js';

const [home, runDir, trainPath, devPath] = process.argv.slice(2);
// Started without arguments (e.g. picked up by a test runner scanning test/): nothing to do.
if (home && runDir && trainPath && devPath) {
  lockRun(runDir);
  const trainer = new Trainer({
    base: loadBase(home, 'tiny'), train: importDataset(trainPath), dev: importDataset(devPath), config: TINY_DIFF_CONFIG, runDir,
    checkpointEverySeconds: 0, stepsPerRun: 1, onEvent: (e) => { if (e.kind === 'step') process.stdout.write(`step ${e.step}\n`); },
  });
  await trainer.run();
  process.stdout.write('finished\n');
  // The test's kill may land after the last step of this short run: wait for it, so that a
  // late kill still finds the process (the resume then starts from the last checkpoint).
  setInterval(() => {}, 1000);
}
