/**
 * How many steps each phase of a run takes: its epochs of the training set's batches, at
 * most `maxSteps`. The fixed-mask phase after the projection may run its own number of
 * epochs (`maskEpochs`). DESIGN §3 quotes the paper's "3 epochs, 5 for small datasets"
 * for it; on the shipped base 5 scored below 3 on CoLA and MRPC and level on RTE
 * (docs/results.md), so it defaults to the other phases' epochs.
 */
import type { PhaseKind } from './methods.js';
import type { TrainConfig } from './train-config.js';

/** The fixed-mask phase's epochs: `maskEpochs`, else `epochs`. */
export const maskEpochsOf = (c: Pick<TrainConfig, 'epochs' | 'maskEpochs'>): number => c.maskEpochs ?? c.epochs;

/** Steps of each phase of `phases`. */
export function phaseStepCounts(phases: readonly PhaseKind[], c: Pick<TrainConfig, 'epochs' | 'maskEpochs' | 'maxSteps'>, batchesPerEpoch: number): number[] {
  return phases.map((k) => Math.min((k === 'mask' ? maskEpochsOf(c) : c.epochs) * batchesPerEpoch, c.maxSteps ?? Infinity));
}
