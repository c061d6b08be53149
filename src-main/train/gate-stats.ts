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
import { kthLargest } from './projection.js';
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

/** Values visited one by one (no array of them all: at BERT-base size 110 M). */
type Visitor = (visit: (v: number) => void) => void;

/**
 * Mean, max and the 10/50/90 % quantiles (the ⌊q·n⌋-th of an ascending sort) of the
 * non-negative float32 values `each` visits, without copying or sorting them (kthLargest's
 * histogram passes): at BERT-base size the copies and sort were 1.2 GB at each evaluation.
 */
function spread(each: Visitor): Spread {
  let n = 0, sum = 0, max = 0;
  each((v) => { n++; sum += v; if (v > max) max = v; });
  const at = (q: number) => (n > 0 ? kthLargest(each, n - Math.min(n - 1, Math.floor(q * n))) : NaN);
  return { mean: sum / n, p10: at(0.1), p50: at(0.5), p90: at(0.9), max: n > 0 ? max : NaN };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Visit v of a moment tensor, float32 or float16-stored √v (adamw.ts), as √(v / bc2) in float32. */
function eachSqrtV(moments: readonly CheckpointTensor[], clipNorm: number, bc2: number): Visitor {
  return (visit) => {
    for (const { data } of moments) {
      if (data instanceof Uint16Array) for (const h of data) visit(Math.fround(Math.sqrt(Math.fround(halfSecondMoment(h, clipNorm)) / bc2)));
      else for (const v of data) visit(Math.fround(Math.sqrt(v / bc2)));
    }
  };
}

/** Gate statistics of an L0 phase's state after `phaseStep` steps of it (`step`: the run's). */
export function gateStats(base: BaseModel, state: RunState, phaseStep: number, step: number, adam: Pick<AdamWConfig, 'beta2' | 'eps' | 'clipNorm'>): GateStats {
  const bc2 = 1 - adam.beta2 ** phaseStep;
  const tensors: GateStats['tensors'] = {};
  const elementV: CheckpointTensor[] = [], groupV: CheckpointTensor[] = [];
  for (const n of base.weights.keys()) {
    const alpha = state.get(paramInput(gateName(n)))?.data, v = state.get(momentInputs(gateName(n))[1]);
    if (!alpha || !v) continue;
    let open = 0;
    for (const a of alpha) open += sigmoid(a - L0_SHIFT);
    const group = state.get(paramInput(groupGateName(n)))?.data, gv = state.get(momentInputs(groupGateName(n))[1]);
    tensors[n] = { expectedL0: open, ...(group ? { groupOpen: sigmoid(group[0] - L0_SHIFT) } : {}) };
    elementV.push(v);
    if (gv) groupV.push(gv);
  }
  const all = eachSqrtV(elementV, adam.clipNorm, bc2);
  let n = 0, below = 0;
  all((x) => { n++; if (x < 10 * adam.eps) below++; });
  return {
    step, tensors, sqrtV: { ...spread(all), eps: adam.eps, belowTenEps: below / n },
    ...(groupV.length > 0 ? { groupSqrtV: spread(eachSqrtV(groupV, adam.clipNorm, bc2)) } : {}),
  };
}

export const gateStatsPath = (runDir: string) => join(runDir, 'gates.json');

/** Append one evaluation's statistics to `<runDir>/gates.json` (rewritten atomically). */
export function appendGateStats(runDir: string, stats: GateStats): void {
  const path = gateStatsPath(runDir);
  const kept = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as GateStats[]).filter((s) => s.step < stats.step) : [];
  writeFileAtomic(path, `${JSON.stringify([...kept, stats])}\n`);
}
