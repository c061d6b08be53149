/**
 * A run's peak memory (resident set, CPU) before it starts, from the base's tensor shapes,
 * the method and the batch: what the wizard and `taskpack train` warn with when it exceeds
 * the machine's free memory.
 *
 *   peak ≈ RUNTIME + base + held + base × REST[regime][family] × tokens / (32 × 128)
 *
 * `held` is what the method holds on top of the base at its largest: a phase's training
 * state (float32 parameters and both Adam moments, float32 or float16) twice (the loop's, updated in place, and the copy
 * onnxruntime-node hands back after each run), the fixed-mask phase's masks and one set of
 * gate noise (float16) per step of a run; or the projection between phases (heldBytes). REST is the rest (activations, gradients and the other
 * parameter-sized intermediates, the dev evaluation), per base byte at batch 32 × 128, in
 * the trainer's two regimes: small bases step 4 times per run with ONNX Runtime's arena
 * (multi-step.ts), large ones once per run without it. Fitted to bench/train-memory's run
 * peaks on SST-2 (sentences of 10–60 tokens) on the shipped base and on BERT-base, where
 * the estimate is within 15 % (docs/benchmarks.md); longer texts pad to more tokens and
 * take more. The diff methods train only the token-table rows a run's texts look up
 * (model/compact-vocabulary.ts). Where their number is not given (the wizard and `taskpack
 * train` estimate before the data is tokenized), two thirds of the table count: SST-2 looks up
 * 39 % of BERT-base's rows and 64 % of the shipped base's, and that estimate is within 7 % of
 * both BERT-base's whole table and its 39 % (docs/benchmarks.md).
 */
import { TOKEN_TABLE } from '../model/layers.js';
import { cpuArena, STEPS_PER_RUN } from './multi-step.js';
import type { MomentType } from './adamw.js';
import { defaultMoments, denseTensors, methodPhases, METHODS, type Method } from './methods.js';
import { DEFAULT_CONFIG } from './train-config.js';

const MiB = 2 ** 20;

/** Node, ONNX Runtime, the app's code and a GLUE-sized dataset in memory. */
const RUNTIME = 200 * MiB;

/** The tokens of the fitted runs' batches (32 × 128). */
const FITTED_TOKENS = 32 * 128;

type Family = 'l0' | 'dense';
/** The rest per base byte at FITTED_TOKENS: [small base (arena, 4 steps per run), large base]. */
const REST: Record<Family, [number, number]> = { l0: [20.8, 0.31], dense: [11.4, 0.9] };

export interface EstimateTensor { name: string; dims: readonly number[] }

export interface EstimateInput {
  /** The base's tensors (a stored base's manifest lists them). */
  tensors: readonly EstimateTensor[];
  method: Method;
  batchSize: number;
  maxLength: number;
  /** Default: the method's (defaultMoments). */
  moments?: MomentType;
  /** Rows of the token table the run's texts look up, which the diff methods train alone; default: two thirds of the table (UNKNOWN_TOKEN_SHARE). */
  tokenRows?: number;
}

const bytesOf = (t: EstimateTensor) => 4 * t.dims.reduce((a, b) => a * b, 1);

/** The share of the token table's rows counted where the rows a run looks up are not known. */
export const UNKNOWN_TOKEN_SHARE = 2 / 3;

/**
 * Bytes the method holds beyond the base at its largest: a phase's steps (see the file's
 * comment) or the projection into the fixed-mask phase, which holds the phase before's state
 * (parameters and moments, not yet collected), δ, the kept values and the masks, and the next
 * phase's state.
 */
function heldBytes(tensors: readonly EstimateTensor[], method: Method, stepsPerRun: number, moments: MomentType): number {
  const base = tensors.reduce((a, t) => a + bytesOf(t), 0);
  const trained = new Set(denseTensors(method, Object.fromEntries(tensors.map((t) => [t.name, [...t.dims]]))));
  // Per float32 parameter byte: the parameter and its two moments.
  const perParam = moments === 'float16' ? 2 : 3;
  const state = (phase: string) => perParam * (phase === 'l0' ? 2 * base : phase === 'mask' ? base : tensors.reduce((a, t) => a + (trained.has(t.name) ? bytesOf(t) : 0), 0));
  return Math.max(...methodPhases(method).map((phase, i, phases) => {
    // Noise: one float16 per gate per step of a run. float16 moments are widened to float32 inside
    // the step: about one base's worth at once (fitted: BERT-base's run peak fell by 1.0 GB, not
    // by the 1.7 GB of the state and its copy; docs/benchmarks.md).
    if (phase === 'l0') return 2 * state(phase) + stepsPerRun * base / 2 + (moments === 'float16' ? base : 0);
    if (phase === 'mask') return Math.max(2 * state(phase) + base, state(phases[i - 1]) + 3 * base + state(phase)); // masks; the projection
    return 2 * state(phase);
  }));
}

/** Estimated peak resident bytes of a training run on the CPU. */
export function estimateTrainingPeak(e: EstimateInput): number {
  const base = e.tensors.reduce((a, t) => a + bytesOf(t), 0);
  // The diff methods' state, noise and the like per trained parameter: their tensors with the token table cut.
  const cut = (rows: number) => Math.min(rows, Math.round(e.tokenRows ?? UNKNOWN_TOKEN_SHARE * rows));
  const trained = methodPhases(e.method)[0] === 'l0'
    ? e.tensors.map((t) => (t.name === TOKEN_TABLE ? { ...t, dims: [cut(t.dims[0]), ...t.dims.slice(1)] } : t)) : e.tensors;
  const small = cpuArena(base);
  const family: Family = methodPhases(e.method)[0] === 'l0' ? 'l0' : 'dense';
  const rest = base * REST[family][small ? 0 : 1] * (e.batchSize * e.maxLength) / FITTED_TOKENS;
  return Math.round(RUNTIME + base + heldBytes(trained, e.method, small ? STEPS_PER_RUN : 1, e.moments ?? defaultMoments(e.method)) + rest);
}

/** estimateTrainingPeak for every method at the default batch and length (the wizard's run). */
export function trainingPeaks(tensors: readonly EstimateTensor[]): Record<Method, number> {
  return Object.fromEntries(METHODS.map((method) => [method, estimateTrainingPeak({ tensors, method, batchSize: DEFAULT_CONFIG.batchSize, maxLength: DEFAULT_CONFIG.maxLength })])) as Record<Method, number>;
}
