/**
 * The regime an L0 phase is in, read at each dev evaluation: E[L0] per tensor, and the gate
 * logits' Adam second moments √v̂ against ε. Where √v̂ ≫ ε Adam moves every gate by about
 * ±lr per step whatever its gradient's size; near ε it acts like SGD, and λ·σ′ becomes a
 * threshold on each weight's own pull (issue #25). Kept in `<runDir>/gates.json`, one entry
 * per evaluation.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BaseModel } from '../model/base.js';
import { writeFileAtomic } from '../durable/atomic.js';
import { halfSecondMoment, type AdamWConfig } from './adamw.js';
import type { CheckpointTensor } from './checkpoint.js';
import { gateName, groupGateName } from './diff-params.js';
import { L0_SHIFT } from './hard-concrete.js';
import type { RunState } from './run-state.js';
import { momentInputs, paramInput } from './step-graph.js';

export interface Spread { mean: number; p10: number; p50: number; p90: number; max: number }

export interface GateStats {
  /** The run's step after which this was read. */
  step: number;
  /** Per base tensor: Σ σ(α_i − c) over its element gates, and (structured) its group gate's σ(α^j − c). */
  tensors: Record<string, { expectedL0: number; groupOpen?: number }>;
  /** √v̂ (bias-corrected) of the element gates' logits, and of the group gates' (structured), with Adam's ε. */
  sqrtV: Spread & { eps: number; belowTenEps: number };
  groupSqrtV?: Spread;
}

function spread(values: Float32Array): Spread {
  const sorted = values.slice().sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  let sum = 0;
  for (const v of sorted) sum += v;
  return { mean: sum / sorted.length, p10: at(0.1), p50: at(0.5), p90: at(0.9), max: sorted[sorted.length - 1] };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Gate statistics of an L0 phase's state after `phaseStep` steps of it (`step`: the run's). */
/** v of a moment tensor, float32 or float16-stored √v (adamw.ts). */
const secondMoment = (t: CheckpointTensor | undefined, clipNorm: number): Float32Array | undefined =>
  t && (t.data instanceof Uint16Array ? Float32Array.from(t.data, (h) => halfSecondMoment(h, clipNorm)) : t.data);

export function gateStats(base: BaseModel, state: RunState, phaseStep: number, step: number, adam: Pick<AdamWConfig, 'beta2' | 'eps' | 'clipNorm'>): GateStats {
  const bc2 = 1 - adam.beta2 ** phaseStep;
  const tensors: GateStats['tensors'] = {};
  const elementV: Float32Array[] = [], groupV: number[] = [];
  for (const n of base.weights.keys()) {
    const alpha = state.get(paramInput(gateName(n)))?.data, v = secondMoment(state.get(momentInputs(gateName(n))[1]), adam.clipNorm);
    if (!alpha || !v) continue;
    let open = 0;
    for (const a of alpha) open += sigmoid(a - L0_SHIFT);
    const group = state.get(paramInput(groupGateName(n)))?.data, gv = secondMoment(state.get(momentInputs(groupGateName(n))[1]), adam.clipNorm);
    tensors[n] = { expectedL0: open, ...(group ? { groupOpen: sigmoid(group[0] - L0_SHIFT) } : {}) };
    elementV.push(v);
    if (gv) groupV.push(Math.sqrt(gv[0] / bc2));
  }
  const all = new Float32Array(elementV.reduce((a, v) => a + v.length, 0));
  let k = 0;
  for (const v of elementV) for (const x of v) all[k++] = Math.sqrt(x / bc2);
  let below = 0;
  for (const x of all) if (x < 10 * adam.eps) below++;
  return {
    step, tensors, sqrtV: { ...spread(all), eps: adam.eps, belowTenEps: below / all.length },
    ...(groupV.length > 0 ? { groupSqrtV: spread(Float32Array.from(groupV)) } : {}),
  };
}

export const gateStatsPath = (runDir: string) => join(runDir, 'gates.json');

/** Append one evaluation's statistics to `<runDir>/gates.json` (rewritten atomically). */
export function appendGateStats(runDir: string, stats: GateStats): void {
  const path = gateStatsPath(runDir);
  const kept = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as GateStats[]).filter((s) => s.step < stats.step) : [];
  writeFileAtomic(path, `${JSON.stringify([...kept, stats])}\n`);
}
