/**
 * `taskpack explore --run-id ID [--targets T1,T2,…] [--steps N] [--out-dir DIR]`: from a
 * diff-pruning run whose L0 phase has finished, project to each target sparsity, finetune
 * that fixed mask for N steps, and report dev metrics against pack bytes (train/explore.ts).
 * Reads the run's job.json; runs in the TrainingWorker; Ctrl-C stops after the current step
 * and a second call resumes (finished targets are kept under the run's explore/).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../durable/atomic.js';
import { isRunId, runDir, runsDir } from '../../train/checkpoint.js';
import { checkTargets, type ExplorePoint } from '../../train/explore.js';
import { hasL0State } from '../../train/l0-state.js';
import { methodPhases } from '../../train/methods.js';
import { readRunJob } from '../../train/run-job.js';
import { TrainingWorker, type JobEvent } from '../../train/training-worker.js';
import { outcomeStoppableByCtrlC, UsageError, type CommandSpec } from '../command.js';

const DEFAULT_TARGETS = [0.001, 0.0025, 0.005, 0.01];

export const exploreCommand: CommandSpec = {
  name: 'explore',
  summary: "re-project a diff-pruning run's L0 phase to other sparsities, finetune each mask briefly: dev metrics against pack bytes",
  synopsis: `--run-id ID [--targets ${DEFAULT_TARGETS.join(',')}] [--steps N] [--out-dir DIR]`,
  options: { 'run-id': { type: 'string' }, targets: { type: 'string' }, steps: { type: 'string' }, 'out-dir': { type: 'string' } },
  async run(ctx, values) {
    const runId = values['run-id'], targetsArg = values.targets, stepsArg = values.steps, outDir = values['out-dir'];
    if (typeof runId !== 'string') throw new UsageError('--run-id ID is required');
    if (!isRunId(runId)) throw new UsageError(`--run-id '${runId}' must be letters, digits, '.', '_' or '-'`);
    const targets = typeof targetsArg === 'string' ? parseTargets(targetsArg) : DEFAULT_TARGETS;
    let steps: number | undefined;
    if (typeof stepsArg === 'string') {
      steps = Number(stepsArg);
      if (!Number.isInteger(steps) || steps <= 0) throw new UsageError(`--steps must be a positive integer, got '${stepsArg}'`);
    }
    const dir = runDir(ctx.home, runId);
    if (!existsSync(dir)) throw new UsageError(`no run '${runId}' in ${runsDir(ctx.home)}`);
    const job = readRunJob(dir);
    if (!job) throw new Error(`run '${runId}' has no job.json (it was not started by this version of taskpack train)`);
    if (methodPhases(job.config.method)[0] !== 'l0') {
      throw new UsageError(`run '${runId}' trained with --method ${job.config.method}, which has no L0 phase to explore (diff and diff-structured have one)`);
    }
    if (!hasL0State(dir)) throw new Error(`run '${runId}' has not finished its L0 phase (resume it with taskpack train --run-id ${runId})`);

    const worker = new TrainingWorker({ ...job, home: ctx.home, runDir: dir, explore: { targets, ...(steps !== undefined ? { steps } : {}) } }, (e) => logEvent(ctx.log, e));
    const result = await outcomeStoppableByCtrlC(worker, ctx.log, 'explore');
    if (result.status === 'cancelled') {
      const again = `taskpack explore --run-id ${runId}`;
      return { value: { status: 'cancelled', runId, checkpoint: result.checkpoint }, human: `cancelled; resume with ${again}`, failure: `cancelled (resume with ${again})` };
    }
    if (result.status !== 'explored') throw new Error(`the training worker answered '${result.status}' to an explore job`);
    const points = result.points.map(({ point, pack }) => {
      if (typeof outDir !== 'string') return point;
      const path = join(outDir, `sparsity-${point.sparsity}.taskpack`);
      writeFileAtomic(path, pack);
      return { ...point, pack: path };
    });
    return { value: { runId, steps: result.steps, points }, human: points.map(row).join('\n') };
  },
};

function parseTargets(arg: string): number[] {
  const parts = arg.split(',').map((s) => s.trim());
  const targets = parts.map(Number);
  const bad = parts.find((s, i) => s === '' || !Number.isFinite(targets[i]));
  if (bad !== undefined) throw new UsageError(`--targets must be comma-separated numbers in (0, 1], got '${arg}'`);
  try { checkTargets(targets); } catch (e) { throw new UsageError(`--targets: ${(e as Error).message}`); }
  return targets;
}

function row(p: ExplorePoint & { pack?: string }): string {
  const metrics = Object.entries(p.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ');
  return `${(100 * p.sparsity).toFixed(3)}%: ${p.nnz} nonzeros, ${p.packBytes} bytes, dev ${metrics} (${p.seconds.toFixed(1)} s)${p.pack ? ` → ${p.pack}` : ''}`;
}

function logEvent(log: (line: string) => void, e: JobEvent): void {
  if (e.kind === 'loaded') log(`explore: ${e.trainRows} training rows (dev ${e.devRows}), base ${e.baseId}`);
  else if (e.kind === 'explore-target') log(`explore: target ${(100 * e.sparsity).toFixed(3)}% (${e.index + 1}/${e.count}), ${e.steps} fixed-mask steps`);
  else if (e.kind === 'explore-step' && (e.step % 10 === 0 || e.step === e.totalSteps)) log(`  step ${e.step}/${e.totalSteps} loss ${e.loss.toFixed(4)} ETA ${Math.round(e.etaSeconds)} s`);
  else if (e.kind === 'checkpoint-damaged') log(`  ${e.checkpoint} is damaged (${e.error}); going on from the newest intact checkpoint`);
  else if (e.kind === 'explore-point') log(`  ${row(e.point)}${e.reused ? ' (kept from an earlier call)' : ''}`);
}
