/** The task pack a finished run writes: its sparse diff, dense head, task description and provenance. */
import type { Dataset } from '../data/index.js';
import type { BaseModel } from '../model/base.js';
import type { ModuleSpec } from '../model/modules.js';
import type { WeightTensor } from '../model/weights.js';
import type { PackContent, SparseDiff } from '../packs/format.js';
import { sparseDiffFromDense } from '../packs/sparse.js';
import { quantize } from '../packs/values.js';
import { appVersion } from '../paths.js';
import { diffName } from './diff-params.js';
import { maskName, type PhaseKind } from './methods.js';
import type { Metrics } from '../data/metrics.js';
import { maskEpochsOf } from './phase-budget.js';
import { tensorsOf, type RunState } from './run-state.js';
import type { TrainConfig } from './train-config.js';

export interface FinishedRun {
  base: BaseModel;
  train: Dataset;
  config: TrainConfig;
  taskName?: string;
  lastPhase: PhaseKind;
  /** Trained weights (currentWeights of the last phase) and the state they came from. */
  weights: Map<string, WeightTensor>;
  state: RunState;
  devMetrics: Metrics;
  /** A module method's module and its trained tensors (float32, canonical names): the pack's `modules`, encoded as the diffs are. */
  modules?: { spec: ModuleSpec; tensors: Map<string, WeightTensor> };
}

export function packContentOf(run: FinishedRun): PackContent {
  const { base, train, config: c, weights, state } = run;
  const head = [...weights].filter(([n]) => n.startsWith('head.')).map(([name, t]) => ({ name, dims: [...t.dims], data: Float32Array.from(t.data) }));
  let diffs: SparseDiff[];
  if (run.lastPhase === 'mask') {
    // Exactly the mask's positions, whatever their values: nnz = ⌈t·d⌉ by construction.
    diffs = [];
    for (const [n, w] of tensorsOf(base, state, diffName(''))) {
      const mask = state.get(maskName(n))!.data, idx: number[] = [];
      for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) idx.push(i);
      if (idx.length === 0) continue;
      diffs.push({ name: n, dims: [...base.weights.get(n)!.dims], indices: Uint32Array.from(idx), values: quantize(Float32Array.from(idx, (i) => w[i]), c.valueEncoding, `diff '${n}'`) });
    }
  } else {
    diffs = sparseDiffFromDense(base.weights, new Map([...weights].filter(([n]) => !n.startsWith('head.'))), { encoding: c.valueEncoding }).diffs;
  }
  const hyper = { sparsity: c.sparsity, epochs: c.epochs, maskEpochs: maskEpochsOf(c), maxSteps: c.maxSteps ?? 0, seed: c.seed, batchSize: c.batchSize, maxLength: c.maxLength,
    lambda: c.lambda, lambdaSchedule: c.lambdaSchedule, holdDense: c.holdDense, lrDiff: c.lr.diff, lrGates: c.lr.gates, lrHead: c.lr.head, lrBase: c.lr.base, lrMask: c.lr.mask ?? c.lr.diff, warmup: c.warmup, weightDecay: c.weightDecay,
    gateSchedule: c.gateSchedule, penalty: c.penalty, penaltyScale: c.penaltyScale, clip: c.clip, maskStart: c.maskStart, ...(c.layerPenalty ? { layerPenalty: c.layerPenalty.join(',') } : {}),
    alphaInit: c.alphaInit, valueEncoding: c.valueEncoding, moments: c.moments,
    ...(run.modules ? { rank: c.rank, loraAlpha: c.loraAlpha, loraTargets: c.loraTargets, ...(c.bottleneck ? { bottleneck: c.bottleneck } : {}), ...(c.lr.module ? { lrModule: c.lr.module } : {}) } : {}) };
  const modules = [...run.modules?.tensors ?? []].map(([name, t]) => ({ name, dims: [...t.dims], values: quantize(t.data, c.valueEncoding, `module tensor '${name}'`) }));
  return {
    base: { id: base.id, fingerprint: base.fingerprint },
    task: {
      name: run.taskName ?? train.source.glue ?? 'task', description: `${c.method} on ${train.source.path}`, type: train.task.type,
      labels: train.labels, inputColumns: [train.columns.text, ...(train.columns.pair ? [train.columns.pair] : [])],
      maxLength: c.maxLength, tokenizer: `${base.id}/tokenizer.json`, appVersion: appVersion(), createdAt: new Date().toISOString(),
    },
    provenance: { method: c.method, hyperParameters: hyper, trainingData: train.fingerprint, devMetrics: run.devMetrics as Record<string, number> },
    kind: run.modules?.spec.kind ?? 'diff', ...(run.modules ? { module: run.modules.spec } : {}), diffs, modules, dense: head,
  };
}
