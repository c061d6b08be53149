/**
 * How many steps each phase of a run takes: its epochs of the training set's batches, at
 * most `maxSteps`. The fixed-mask phase may run its own epochs (`maskEpochs`), by default
 * the other phases' (the paper's 5 for small sets scored lower here: docs/results-history.md).
 */
import type { PhaseKind } from './methods.js';
import type { TrainConfig } from './train-config.js';

/** The fixed-mask phase's epochs: `maskEpochs`, else `epochs`. */
export const maskEpochsOf = (c: Pick<TrainConfig, 'epochs' | 'maskEpochs'>): number => c.maskEpochs ?? c.epochs;

/** Steps of each phase of `phases`. */
export function phaseStepCounts(phases: readonly PhaseKind[], c: Pick<TrainConfig, 'epochs' | 'maskEpochs' | 'maxSteps'>, batchesPerEpoch: number): number[] {
  return phases.map((k) => Math.min((k === 'mask' ? maskEpochsOf(c) : c.epochs) * batchesPerEpoch, c.maxSteps ?? Infinity));
}
