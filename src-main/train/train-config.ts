/**
 * A training run's settings and their defaults (the CLI, the app and the recipes fill them in).
 *
 * Module methods (model/modules.ts), their papers' defaults:
 * - lora: r = 8 on W_q and W_v, α = 8 — Hu et al. 2021, App. D (RoBERTa-base on GLUE: r_q = r_v = 8,
 *   "we simply set α to the first r we try and do not tune it", so α stays 8 when r changes);
 *   lr 5e-4, the top of the paper's GLUE rates for RoBERTa-base (4e-4 to 5e-4, batch 16, 30–80
 *   epochs, warm-up 6 %): our runs are 3 epochs, so the upper rate, not a larger one, since
 *   Adam's step size does not grow with the base's width.
 * - adapter-houlsby / adapter-pfeiffer: lr 1e-3, the top of Houlsby et al.'s sweep
 *   {3e-5, 1e-4, 3e-4, 1e-3} (3 or 20 epochs), which a 3-epoch run on a small base needs most;
 *   the bottleneck, unless given, sized to the sparsity budget (methods.ts adapterBottleneck).
 */
import type { ValueEncoding } from '../packs/values.js';
import type { MomentType } from './adamw.js';
import type { StructuredPenalty } from './diff-params.js';
import { defaultLambdaSchedule, type LambdaSchedule } from './lambda-schedule.js';
import { defaultMoments, defaultPenaltyScale, type ClipMode, type Method, type ModuleMethod, type PenaltyScale } from './methods.js';

export interface TrainConfig {
  method: Method;
  /** Target share of nonzeros among the penalised parameters (sparse methods). */
  sparsity: number;
  /** Epochs of each phase (the fixed-mask one too, unless maskEpochs), capped by maxSteps per phase. */
  epochs: number;
  /** Epochs of the fixed-mask phase, capped by maxSteps (default: `epochs`; phase-budget.ts). */
  maskEpochs?: number;
  maxSteps?: number;
  seed: number;
  batchSize: number;
  maxLength: number;
  /** λ of the expected-L0 penalty: all through the L0 phase ('constant') or where it starts ('target'). */
  lambda: number;
  /** How λ moves through the L0 phase (lambda-schedule.ts; the CLI's and the app's default: methodDefaults). */
  lambdaSchedule: LambdaSchedule;
  /** 'target' only: the share of the L0 phase held dense, λ at its start value, before the fall (lambda-schedule.ts). */
  holdDense: number;
  /** Peak learning rate per group: diff (w), gates (α), head, base (dense phases); mask: w in the fixed-mask phase (default: diff); module: a module method's tensors (default: MODULE_LR). */
  lr: { diff: number; gates: number; head: number; base: number; mask?: number; module?: number };
  /** LoRA's rank r, scale α (ΔW = (α/r)·A·B) and targets (model/modules.ts). */
  rank: number;
  loraAlpha: number;
  loraTargets: 'qv' | 'all';
  /** Adapters' bottleneck width; none: sized to the sparsity budget. */
  bottleneck?: number;
  /** Share of each phase's steps spent warming up. */
  warmup: number;
  /** The gates' rate: on the shared warm-up and decay, or constant (the official code's). */
  gateSchedule: GateSchedule;
  /** The structured L0 penalty: the official code's sum (the default: docs/results.md) or the paper's product (diff-params.ts). */
  penalty: StructuredPenalty;
  /** Each tensor's L0 penalty as is, or scaled by w's gradient scale (diff-params.ts; the CLI's and the app's default: methodDefaults). */
  penaltyScale: PenaltyScale;
  /** Gradient clipping: one global norm, or the gates apart from the rest (methods.ts). */
  clip: ClipMode;
  /** The fixed-mask phase's w: the projection's sampled z ⊙ w, or the L0 phase's dense w (the official code's). */
  maskStart: MaskStart;
  /** λ's factor per layer: [embeddings, layer 0, …, layer L−1, the rest] (the official --sparsity_penalty_per_layer); none: 1. */
  layerPenalty?: number[];
  weightDecay: number;
  /** How Adam's moments are stored (adamw.ts; the CLI's and the app's default: methodDefaults). */
  moments: MomentType;
  alphaInit: number;
  /** Evaluate on dev every this many steps (0: at the end of each epoch). */
  evalEvery: number;
  valueEncoding: ValueEncoding;
}

export const DEFAULT_CONFIG: Omit<TrainConfig, 'method'> = {
  sparsity: 0.005, epochs: 3, seed: 1, batchSize: 32, maxLength: 128, lambda: 1e-7, lambdaSchedule: 'constant', holdDense: 0,
  lr: { diff: 1e-3, gates: 0.1, head: 1e-3, base: 1e-4 }, warmup: 0.1, gateSchedule: 'shared', penalty: 'additive', penaltyScale: 'none', clip: 'global', maskStart: 'sampled',
  weightDecay: 0.01, moments: 'float32', alphaInit: 5, rank: 8, loraAlpha: 8, loraTargets: 'qv',
  evalEvery: 0, valueEncoding: 'float16',
};

/** The defaults that depend on the method: the CLI and the app's wizard lay them over DEFAULT_CONFIG (and a recipe's fields over them). */
export const methodDefaults = (method: Method): Pick<TrainConfig, 'lambdaSchedule' | 'moments' | 'penaltyScale'> => ({
  lambdaSchedule: defaultLambdaSchedule(method), moments: defaultMoments(method), penaltyScale: defaultPenaltyScale(method),
});

export const GATE_SCHEDULES = ['shared', 'constant'] as const;
export type GateSchedule = (typeof GATE_SCHEDULES)[number];
export const MASK_STARTS = ['sampled', 'dense'] as const;
export type MaskStart = (typeof MASK_STARTS)[number];

/** A module method's default peak learning rate (see the file's header). */
export const MODULE_LR: Record<ModuleMethod, number> = { lora: 5e-4, 'adapter-houlsby': 1e-3, 'adapter-pfeiffer': 1e-3 };
