/**
 * Named training recipes: sets of TrainConfig fields a run starts from (explicit options
 * override them). 'reference' is diff pruning as its official code trains it (dguo98/DiffPruning,
 * examples/run_glue_diffpruning.py, run_glue_fixmask_finetune.py), scaled to the shipped base
 * where a value depends on the model:
 *
 * | official (BERT-large) | here | why |
 * | --- | --- | --- |
 * | additive structured penalty | penalty 'additive' | – |
 * | α: AdamW at a constant 0.1, no warm-up, no weight decay | gateSchedule 'constant', lr.gates 0.1 | – |
 * | w and the head: one group at 1e-5, the model's dense finetuning rate, linear decay, no warm-up, no weight decay | lr.diff = lr.head = 1e-4, warmup 0, weightDecay 0 | 1e-4 is the shipped base's dense rate (lr.base; BERT-large's is 1e-5) |
 * | w and α clipped apart to norm 1 | clip 'separate' | – |
 * | batch 8 | batchSize 8 | – |
 * | λ 1.25e-7, constant | lambda 1.25e-7, lambdaSchedule 'constant' | λ·σ′ weighs one gate against its own weight's gradient: no size factor |
 * | one λ for every gate | penaltyScale 'none' | – |
 * | fixed-mask phase from the L0 phase's dense w, at 5e-5 (5 × the L0 phase's w rate) | maskStart 'dense', lr.mask 5e-4 | the same 5 × |
 *
 * The official per-layer penalty (`--sparsity_penalty_per_layer`) is off by default there
 * and here (TrainConfig.layerPenalty). The fixed-mask phase's head keeps lr.head (the
 * official code trains it at w's 5e-5 there).
 */
import type { TrainConfig } from './train-config.js';

export const RECIPES = ['default', 'reference'] as const;
export type Recipe = (typeof RECIPES)[number];
export const isRecipe = (r: string): r is Recipe => (RECIPES as readonly string[]).includes(r);

/** Fields a recipe sets; `lr` entries merge into the configured rates. */
export type RecipeFields = Partial<Omit<TrainConfig, 'lr'>> & { lr?: Partial<TrainConfig['lr']> };

export const RECIPE_FIELDS: Record<Recipe, RecipeFields> = {
  default: {},
  reference: {
    penalty: 'additive', gateSchedule: 'constant', clip: 'separate', batchSize: 8, warmup: 0, weightDecay: 0,
    lambda: 1.25e-7, lambdaSchedule: 'constant', penaltyScale: 'none', maskStart: 'dense', lr: { diff: 1e-4, head: 1e-4, gates: 0.1, mask: 5e-4 },
  },
};

/** `config` with a recipe's fields laid over it (its `lr` merged). */
export function withRecipe<C extends Omit<TrainConfig, 'method'>>(config: C, recipe: Recipe): C {
  const { lr, ...rest } = RECIPE_FIELDS[recipe];
  return { ...config, ...rest, lr: { ...config.lr, ...lr } };
}
