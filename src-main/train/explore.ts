/**
 * The sparsity explorer: from one run's saved L0 state (l0-state.ts), project to each target
 * sparsity and finetune with that mask fixed for a few steps, evaluate on dev and encode the
 * pack, giving dev metrics against pack bytes. The fixed-mask finetune is the Trainer's own
 * 'mask' phase: Trainer.startFromL0State leaves the projected phase-boundary checkpoint and
 * run() resumes it, so there is one step loop and cancel/resume work as in any run.
 *
 * Every target projects the same gate sample (the RNG state saved with the L0 state), so
 * the masks are nested and the run's own target reproduces the run's own mask.
 *
 * Each target works in `<runDir>/explore/sparsity-<t>-steps-<n>/`: `run/` holds the
 * Trainer's checkpoints (a cancelled or killed target resumes there), `result/` the finished
 * point and its pack, reused by later calls.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../data/index.js';
import type { BaseModel } from '../model/base.js';
import { encodePack } from '../packs/codec.js';
import type { ProviderName } from '../runtime/index.js';
import { DamagedError, readVerified, writeDirAtomic } from '../durable/atomic.js';
import { hasCheckpoint, type DamagedCheckpoint } from './checkpoint.js';
import { hasL0State, loadL0State } from './l0-state.js';
import { methodPhases } from './methods.js';
import type { Metrics } from '../data/metrics.js';
import { Trainer, type Cancelled } from './trainer.js';
import type { TrainConfig } from './train-config.js';

/** Default fixed-mask steps per target: one epoch, at most this many. */
export const DEFAULT_EXPLORE_STEPS = 200;

export interface ExploreInput {
  base: BaseModel;
  train: Dataset;
  dev: Dataset;
  /** The run's own config (its job.json). */
  config: TrainConfig;
  runDir: string;
  /** Target shares of nonzeros among the penalised parameters, each in (0, 1]. */
  targets: number[];
  /** Fixed-mask steps per target (default: one epoch, at most DEFAULT_EXPLORE_STEPS). */
  steps?: number;
  provider?: ProviderName;
  taskName?: string;
  onEvent?: (e: ExploreEvent) => void;
  checkpointEverySeconds?: number;
}

export interface ExplorePoint {
  sparsity: number;
  /** Nonzeros of the pack's diff: ⌈sparsity · total⌉. */
  nnz: number;
  /** Penalised parameters. */
  total: number;
  packBytes: number;
  /** Dev metrics after the fixed-mask finetune. */
  metrics: Metrics;
  /** Wall-clock seconds this target took (when first computed). */
  seconds: number;
}

export type ExploreEvent =
  | { kind: 'explore-target'; index: number; count: number; sparsity: number; steps: number }
  | { kind: 'explore-step'; sparsity: number; step: number; totalSteps: number; loss: number; etaSeconds: number }
  | { kind: 'explore-point'; index: number; count: number; point: ExplorePoint; reused: boolean }
  /** The saved L0 state, a target's checkpoint or a kept result did not verify (the intact one before it, or a recomputation, is used). */
  | ({ kind: 'checkpoint-damaged' } & DamagedCheckpoint);

export interface ExploredPoint { point: ExplorePoint; pack: Uint8Array }

export type ExploreResult = { status: 'done'; steps: number; points: ExploredPoint[] } | Cancelled;

export function checkTargets(targets: readonly number[]): void {
  if (targets.length === 0) throw new Error('no sparsity targets');
  for (const t of targets) if (!(t > 0 && t <= 1)) throw new Error(`sparsity targets must be in (0, 1], got ${t}`);
  if (new Set(targets).size !== targets.length) throw new Error(`sparsity targets repeat: ${targets.join(', ')}`);
}

export class Explorer {
  private cancelRequested = false;
  private current?: Trainer;

  constructor(private readonly input: ExploreInput) {
    checkTargets(input.targets);
    if (methodPhases(input.config.method)[0] !== 'l0') throw new Error(`method '${input.config.method}' has no L0 phase to explore`);
    if (input.steps !== undefined && !(Number.isInteger(input.steps) && input.steps > 0)) throw new Error(`steps must be a positive integer, got ${input.steps}`);
  }

  /** Stop after the current step of the current target; its checkpoint resumes on the next run(). */
  cancel(): void {
    this.cancelRequested = true;
    this.current?.cancel();
  }

  private get batchesPerEpoch(): number {
    return Math.ceil(this.input.train.rows.length / this.input.config.batchSize);
  }

  steps(): number {
    return this.input.steps ?? Math.min(this.batchesPerEpoch, DEFAULT_EXPLORE_STEPS);
  }

  async run(): Promise<ExploreResult> {
    const { runDir, targets } = this.input;
    if (!hasL0State(runDir)) throw new Error(`the run in ${runDir} has not finished its L0 phase`);
    const l0 = loadL0State(runDir, (d) => this.emit({ kind: 'checkpoint-damaged', ...d }));
    const steps = this.steps(), count = targets.length;
    const points: ExploredPoint[] = [];
    for (const [index, sparsity] of targets.entries()) {
      const dir = join(runDir, 'explore', `sparsity-${sparsity}-steps-${steps}`);
      const resultDir = join(dir, 'result'), trainerDir = join(dir, 'run');
      let explored = existsSync(resultDir) ? this.readResult(resultDir) : undefined;
      const reused = explored !== undefined;
      if (!explored) {
        this.emit({ kind: 'explore-target', index, count, sparsity, steps });
        const started = Date.now();
        const trainer = this.targetTrainer(sparsity, steps, trainerDir);
        this.current = trainer;
        if (!hasCheckpoint(trainerDir)) trainer.startFromL0State(l0);
        if (this.cancelRequested) trainer.cancel();
        const r = await trainer.run();
        this.current = undefined;
        if (r.status === 'cancelled') return r;
        const pack = encodePack(r.pack);
        const nnz = r.pack.diffs.reduce((a, d) => a + d.indices.length, 0);
        const point: ExplorePoint = { sparsity, nnz, total: r.projection!.total, packBytes: pack.length, metrics: r.devMetrics, seconds: (Date.now() - started) / 1000 };
        writeDirAtomic(resultDir, (tmp) => {
          writeFileSync(join(tmp, 'point.json'), JSON.stringify(point));
          writeFileSync(join(tmp, 'pack.taskpack'), pack);
        });
        explored = { pack, point };
      }
      rmSync(trainerDir, { recursive: true, force: true }); // its checkpoints are of no use once the result is kept
      points.push(explored);
      this.emit({ kind: 'explore-point', index, count, point: explored.point, reused });
    }
    return { status: 'done', steps, points };
  }

  /** The run's config at this target, its epochs and steps those of the short fixed-mask finetune. */
  private targetTrainer(sparsity: number, steps: number, runDir: string): Trainer {
    const { config, train } = this.input;
    const epochs = Math.ceil(steps / this.batchesPerEpoch);
    const targetConfig: TrainConfig = { ...config, sparsity, epochs, maskEpochs: epochs, maxSteps: steps };
    return new Trainer({
      base: this.input.base, train, dev: this.input.dev, config: targetConfig, runDir, provider: this.input.provider, taskName: this.input.taskName,
      checkpointEverySeconds: this.input.checkpointEverySeconds,
      onEvent: (e) => {
        // Only the mask phase runs: its steps are numbered after the (skipped) L0 phase's.
        if (e.kind === 'checkpoint-damaged') this.emit(e);
        else if (e.kind === 'step') this.emit({ kind: 'explore-step', sparsity, step: e.step - steps, totalSteps: steps, loss: e.loss, etaSeconds: e.etaSeconds });
      },
    });
  }

  private emit(e: ExploreEvent): void {
    this.input.onEvent?.(e);
  }

  /** A kept result, verified; a damaged one is reported and removed (undefined: compute it again). */
  private readResult(dir: string): ExploredPoint | undefined {
    try {
      return { point: JSON.parse(readVerified(dir, 'point.json').toString('utf8')) as ExplorePoint, pack: new Uint8Array(readVerified(dir, 'pack.taskpack')) };
    } catch (e) {
      if (!(e instanceof DamagedError || e instanceof SyntaxError)) throw e;
      this.emit({ kind: 'checkpoint-damaged', checkpoint: dir, error: e.message });
      rmSync(dir, { recursive: true, force: true });
      return undefined;
    }
  }
}
