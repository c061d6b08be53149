/**
 * What a phase's step graph is fed besides its state: the frozen base tensors and the
 * phase's masks, fixed for the phase (fixedFeeds), and per run the first step's number and
 * per step the encoded batch, its labels, the gate noise, each group's learning rate on
 * the warm-up/decay schedule and the L0 phase's λ.
 */
import type { LabelledRow } from '../data/index.js';
import type { BaseModel, TaskSpec } from '../model/base.js';
import type { HostTensor } from '../runtime/index.js';
import { warmupLinear } from './adamw.js';
import { GateNoise, noiseInputs, type NoiseInput } from './gate-noise.js';
import { frozenName, LAMBDA_INPUT, type PhaseGraph } from './methods.js';
import { substepName } from './multi-step.js';
import type { Rng } from '../util/rng.js';
import { hostOf, type RunState } from './run-state.js';

const f32 = (dims: number[], data: Float32Array): HostTensor => ({ dtype: 'float32', dims, data });

export interface FeedSchedule {
  maxLength: number;
  /** Peak learning rate per parameter group. */
  lr: Record<string, number>;
  /** Share of the phase's steps spent warming up. */
  warmup: number;
  /** Groups whose rate stays at its peak, off the warm-up/decay schedule (the gates, as the official code trains them). */
  constantGroups?: readonly string[];
  phaseSteps: number;
  /** λ at 0-based step s of the phase (lambda-schedule.ts); the L0 phase needs it. */
  lambda?: (s: number) => number;
}

export class PhaseFeeds {
  private readonly fixed: Record<string, HostTensor> = {};
  private readonly noiseInputs: NoiseInput[];
  /** One set of noise buffers per substep of a run (multi-step.ts). */
  private readonly noise: GateNoise[] = [];
  private readonly groups: string[];
  private readonly feedsLambda: boolean;

  /** `extras`: tensors fed unchanged every step (the fixed-mask phase's masks). */
  constructor(private readonly base: BaseModel, private readonly task: TaskSpec, pg: PhaseGraph,
    private readonly schedule: FeedSchedule, extras: RunState = new Map()) {
    for (const n of pg.frozen) { const w = base.weights.get(n)!; this.fixed[frozenName(n)] = f32([...w.dims], w.data); }
    for (const [n, t] of extras) this.fixed[n] = hostOf(t);
    this.noiseInputs = noiseInputs(pg.graph.inputs, Object.values(pg.graph.outputs));
    this.groups = [...new Set(pg.trainables.map((t) => t.group))];
    this.feedsLambda = pg.graph.inputs.some((t) => t.name === LAMBDA_INPUT);
    if (this.feedsLambda && !schedule.lambda) throw new Error(`the ${pg.kind} phase's graph takes λ per step: the feed schedule needs a lambda`);
  }

  /** The inputs fed unchanged through the phase (the step loop holds them: openStepLoop's `fixed`). */
  fixedFeeds(): Record<string, HostTensor> {
    return { ...this.fixed };
  }

  /** Bytes of gate noise one step draws into its buffers (float16). */
  noiseBytesPerStep(): number {
    return 2 * this.noiseInputs.reduce((a, i) => a + i.shape.reduce((x, y) => x * y, 1), 0);
  }

  /** The schedule's learning-rate factor at 0-based step s of the phase. */
  lrScale(s: number): number {
    const { warmup, phaseSteps } = this.schedule;
    return warmupLinear(s, 1, Math.max(1, Math.round(warmup * phaseSteps)), phaseSteps);
  }

  /** Group `group`'s learning rate at 0-based step s of the phase. */
  rate(group: string, s: number): number {
    const peak = this.schedule.lr[group];
    return this.schedule.constantGroups?.includes(group) ? peak : peak * this.lrScale(s);
  }

  /**
   * Feeds for the run of steps s, s + 1, … on `batches` (one batch each), named as
   * multiStepGraph names substep j's inputs; noise is drawn from `noiseRng` step after step
   * (into buffers reused by the next run).
   */
  steps(batches: readonly (readonly LabelledRow[])[], s: number, noiseRng: Rng): Record<string, HostTensor> {
    const feeds: Record<string, HostTensor> = { step: f32([], Float32Array.of(s + 1)) };
    batches.forEach((rows, j) => {
      for (const [name, t] of Object.entries(this.stepFeeds(rows, s + j, noiseRng, j))) feeds[substepName(name, j)] = t;
    });
    return feeds;
  }

  private stepFeeds(rows: readonly LabelledRow[], s: number, noiseRng: Rng, substep: number): Record<string, HostTensor> {
    const feeds: Record<string, HostTensor> = this.base.encode(rows, this.task, this.schedule.maxLength);
    feeds.labels = this.task.type === 'regression' ? f32([rows.length], Float32Array.from(rows, (r) => r.label))
      : { dtype: 'int32', dims: [rows.length], data: Int32Array.from(rows, (r) => r.label) };
    if (this.noiseInputs.length > 0) {
      const noise = (this.noise[substep] ??= new GateNoise(this.noiseInputs));
      for (const [n, t] of noise.draw(noiseRng, (ids) => feeds[ids].data as Int32Array)) feeds[n] = { dtype: 'float16', dims: t.shape, data: t.data };
    }
    for (const group of this.groups) feeds[`lr.${group}`] = f32([], Float32Array.of(this.rate(group, s)));
    if (this.feedsLambda) feeds[LAMBDA_INPUT] = f32([], Float32Array.of(this.schedule.lambda!(s)));
    return feeds;
  }
}
