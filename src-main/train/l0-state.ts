/**
 * The L0 phase's final state, kept in `<runDir>/l0/` when that phase ends: its parameters
 * (w, α, group α, head; no Adam moments) and the gate-noise RNG state the projection then
 * draws from. explore.ts re-projects it to other sparsity targets; projecting it to the
 * run's own target reproduces the run's own projection.
 */
import { join } from 'node:path';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint, type CheckpointTensor, type DamagedCheckpoint } from './checkpoint.js';
import type { Method } from './methods.js';
import { paramInput } from './step-graph.js';

export interface L0State {
  method: Method;
  /** Steps the L0 phase ran. */
  steps: number;
  noiseRng: number[];
  /** `p.<name>` parameter inputs of the L0 step graph. */
  tensors: Map<string, CheckpointTensor>;
}

type L0Meta = Omit<L0State, 'tensors'>;

export const l0StateDir = (runDir: string) => join(runDir, 'l0');

const isParameter = (name: string) => name.startsWith(paramInput(''));

/** Keep the parameters of `state` (moments dropped) with the RNG state, atomically. */
export function saveL0State(runDir: string, l0: L0State): void {
  const tensors = new Map([...l0.tensors].filter(([n]) => isParameter(n)));
  saveCheckpoint<L0Meta>(l0StateDir(runDir), l0.steps, { meta: { method: l0.method, steps: l0.steps, noiseRng: l0.noiseRng }, tensors });
}

export const hasL0State = (runDir: string) => hasCheckpoint(l0StateDir(runDir));

export function loadL0State(runDir: string, onDamaged?: (d: DamagedCheckpoint) => void): L0State {
  const { meta, tensors } = loadCheckpoint<L0Meta>(l0StateDir(runDir), onDamaged);
  return { ...meta, tensors };
}
