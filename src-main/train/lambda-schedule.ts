/**
 * λ of the L0 phase, step by step. 'constant' keeps the configured λ. 'target' steers it
 * so that the L0 phase itself ends near the target sparsity t: with one fixed λ the phase
 * ends anywhere from 0.14 % (CoLA) to 37 % (STS-B) of δ nonzero on the shipped base, and
 * unstructured gates hardly prune at all (docs/results-history.md); the projection then prunes
 * what the gates kept, or fills with untrained zeros what they closed.
 *
 * The expected density ρ = E[nnz δ]/d (diff-params.ts) is made to follow the cubic
 * schedule of Zhu & Gupta (2017), dense for the first share h of the phase (`holdDense`,
 * default 0; λ stays at λ₀ there), from dense to t by SCHEDULE_END of the phase, and t after,
 *   τ(s) = t + (1 − t)(1 − p)³,  p = clamp((s − h·S) / ((SCHEDULE_END − h)·S), 0, 1),
 * by proportional-integral control of log λ over blocks of BLOCK steps: with e_b block b's
 * mean of log(ρ/τ), clamped to ±1,
 *   log λ_b = log λ₀ + P·e_{b−2} + I_{b−2},   I_k = clamp(I_{k−1} + κ·e_k, ±GAIN),
 * κ = min(MAX_GAIN_PER_BLOCK, GAIN / blocks in the schedule). The proportional term acts at
 * once: under Adam the gates close fast once the penalty outweighs the task's gradient and
 * hardly reopen, so λ must drop as soon as ρ falls under τ; the clamp keeps the integral
 * from winding up while the gates cannot follow.
 *
 * Block b's λ reads blocks up to b − 2 only: a run of at most BLOCK steps from step s
 * covers blocks ⌊s/B⌋ and ⌊s/B⌋ + 1, whose λ need only the steps before ⌊s/B⌋·B ≤ s, all
 * observed. So λ, and the weights, do not depend on how many steps each ONNX Runtime run
 * takes, and a resumed run continues from the saved block means.
 */
export const LAMBDA_SCHEDULES = ['target', 'constant'] as const;
export type LambdaSchedule = (typeof LAMBDA_SCHEDULES)[number];
export const isLambdaSchedule = (s: string): s is LambdaSchedule => (LAMBDA_SCHEDULES as readonly string[]).includes(s);

/**
 * 'target' for both diff methods. Unstructured gates at one λ hardly prune (CoLA: 4.0 MCC
 * against 15.7 with the schedule, docs/results-history.md). Structured gates under the
 * additive penalty (their default, train-config.ts) keep their group gates open and prune
 * with their element gates, so the schedule brings δ to the target inside the L0 phase
 * (CoLA, three seeds: 0.47 % before the projection, 14.6 ± 1.1 MCC against 13.3 ± 3.5 for
 * the product penalty at a constant λ, which ends anywhere from 0.10 % to 16.9 %: docs/results.md). Under
 * the product penalty the schedule does not help: below the size of every weight matrix
 * (0.5 % of the shipped base is 34,879 weights, its smallest matrix 131,072) it meets the
 * target only in expectation, each group gate nearly shut.
 */
export const defaultLambdaSchedule = (method: string): LambdaSchedule => (method === 'diff' || method === 'diff-structured' ? 'target' : 'constant');

/** Steps per control block; also the most steps one ONNX Runtime run may take. */
export const BLOCK = 4;
/** Share of the phase over which τ falls from dense to t. */
export const SCHEDULE_END = 1 / 2;
/** Bound of the integral term in log λ: λ stays within λ₀·e^±(GAIN + PROPORTIONAL). */
export const GAIN = 10;
export const PROPORTIONAL = 5;
/** A share of the phase the schedule may hold dense: it must leave the fall some steps. */
export const isHoldDense = (h: number): boolean => h >= 0 && h < SCHEDULE_END;
/** The integral's rate on short phases: faster, it overshoots past what the gates' lag allows. */
export const MAX_GAIN_PER_BLOCK = 0.25;

/** What a checkpoint keeps: per block, the sum and count of the observed log(ρ/τ). */
export interface LambdaState { sums: number[]; counts: number[] }

export class LambdaController {
  private readonly state: LambdaState;
  private readonly gain: number;
  private readonly holdSteps: number;

  constructor(private readonly o: { schedule: LambdaSchedule; lambda: number; target: number; phaseSteps: number; holdDense?: number }, saved?: LambdaState) {
    const hold = o.holdDense ?? 0;
    if (!isHoldDense(hold)) throw new Error(`holdDense must be in [0, ${SCHEDULE_END}), got ${hold}`);
    this.state = saved ? { sums: [...saved.sums], counts: [...saved.counts] } : { sums: [], counts: [] };
    this.holdSteps = hold * o.phaseSteps;
    this.gain = Math.min(MAX_GAIN_PER_BLOCK, GAIN / Math.max(1, ((SCHEDULE_END - hold) * o.phaseSteps) / BLOCK));
  }

  /** τ at 0-based step s of the phase. */
  targetDensity(s: number): number {
    const { target: t, phaseSteps } = this.o;
    const p = Math.max(0, Math.min(1, (s - this.holdSteps) / Math.max(1, SCHEDULE_END * phaseSteps - this.holdSteps)));
    return t + (1 - t) * (1 - p) ** 3;
  }

  /** λ at 0-based step s; throws where a block it depends on has not been observed in full. */
  lambdaAt(s: number): number {
    if (this.o.schedule === 'constant') return this.o.lambda;
    const b = Math.floor(s / BLOCK);
    let integral = 0, last = 0;
    for (let k = 0; k <= b - 2; k++) {
      if (this.state.counts[k] !== BLOCK) throw new Error(`λ at step ${s} needs block ${k} (steps ${k * BLOCK}–${k * BLOCK + BLOCK - 1}) observed in full`);
      last = Math.min(1, Math.max(-1, this.state.sums[k] / BLOCK));
      integral = Math.min(GAIN, Math.max(-GAIN, integral + this.gain * last)); // no wind-up past e^±GAIN
    }
    return this.o.lambda * Math.exp(PROPORTIONAL * last + integral);
  }

  /** Record step s's expected density ρ = E[nnz δ]/d. */
  observe(s: number, density: number): void {
    if (this.o.schedule === 'constant') return;
    const b = Math.floor(s / BLOCK);
    const error = s < this.holdSteps ? 0 : Math.log(Math.max(density, 1e-12) / this.targetDensity(s)); // held: λ stays at λ₀
    this.state.sums[b] = (this.state.sums[b] ?? 0) + error;
    this.state.counts[b] = (this.state.counts[b] ?? 0) + 1;
  }

  snapshot(): LambdaState {
    return { sums: [...this.state.sums], counts: [...this.state.counts] };
  }
}
