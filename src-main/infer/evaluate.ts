/**
 * Task outputs of a base + head with any weights: one inference graph per (base, task), the
 * base tensors and the head fed as inputs (so the trainer's current weights, a pack patched
 * onto the live base, or merged weights all run through the same compiled graph). An
 * adapter pack's graph is built with its module (model/modules.ts withModules): the adapter
 * tensors are inputs too, so one graph serves every pack of that spec.
 */
import { lengthBuckets } from '../data/batching.js';
import * as g from '../graph/index.js';
import type { BaseModel, TaskSpec, TextRow } from '../model/base.js';
import type { ParamFn } from '../model/layers.js';
import { moduleShapes, withModules, type ModuleSpec } from '../model/modules.js';
import { paramInputs } from '../model/param-inputs.js';
import type { WeightTensor } from '../model/weights.js';
import { encodeModel } from '../onnx/writer.js';
import { openSession, type HostSession, type HostTensor, type ProviderName } from '../runtime/index.js';
import { computeMetrics, metricNames, type Metrics } from '../data/metrics.js';
import { GLUE_TASK_METRICS, type GlueTask, type MetricName } from '../data/glue-tasks.js';
import { Rng } from '../util/rng.js';

export const SCORES_OUTPUT = 'scores';

/** Inputs besides the base's and the head's, and the weights the graph makes of them (a trainer's phase state: train/phase-eval.ts). */
export interface PredictorParams {
  shapes: Record<string, number[]>;
  wrap: (p: ParamFn) => ParamFn;
}

export interface PredictorOptions {
  provider?: ProviderName;
  batchSize?: number;
  maxLength?: number;
  /** Build the graph with this module (model/modules.ts): its tensors become inputs, fed by name. Packs merge LoRA and need it only for adapters; the trainer evaluates either kind unmerged. */
  module?: ModuleSpec;
  /** ONNX Runtime's CPU memory arena (runtime's OpenOptions.cpuArena): off where a trainer steps without it, so an evaluation's high-water mark is not kept for the rest of the run. */
  cpuArena?: boolean;
  params?: PredictorParams;
}

export class Predictor {
  private constructor(readonly base: BaseModel, readonly task: TaskSpec, private readonly session: HostSession,
    private readonly weightNames: string[], readonly batchSize: number, readonly maxLength: number) {}

  static async open(base: BaseModel, task: TaskSpec, o: PredictorOptions = {}): Promise<Predictor> {
    const baseShapes = Object.fromEntries([...base.weights].map(([n, t]) => [n, [...t.dims]]));
    const shapes: Record<string, number[]> = { ...baseShapes, ...base.headShapes(task), ...(o.module ? moduleShapes(o.module, baseShapes) : {}), ...o.params?.shapes };
    const inputs = base.inputs(task);
    const params = paramInputs(shapes);
    const p = o.params ? o.params.wrap(params.p) : params.p;
    const out = base.taskOutputs(o.module ? withModules(p, o.module, params.p) : p, inputs, task);
    const graph = g.lower({ [SCORES_OUTPUT]: out }, { inputs: [...Object.values(inputs), ...params.created()], name: `${base.id}-task` });
    const session = await openSession(encodeModel(graph).bytes, { provider: o.provider ?? 'cpu', ...(o.cpuArena === false ? { cpuArena: false } : {}) });
    return new Predictor(base, task, session, params.created().map((t) => t.name!), o.batchSize ?? 64, o.maxLength ?? Math.min(128, base.maxLength));
  }

  get provider(): ProviderName {
    return this.session.provider;
  }

  /**
   * Scores [rows × task.outputs] (logits, or the regression score). `weights(name)` gives
   * every base tensor and head tensor (and the `params` inputs); CPU feeds read them in place.
   */
  async scores(rows: readonly TextRow[], weights: (name: string) => WeightTensor): Promise<Float32Array> {
    const feedsW: Record<string, HostTensor> = {};
    for (const n of this.weightNames) {
      const t = weights(n);
      feedsW[n] = { dtype: 'float32', dims: [...t.dims], data: t.data };
    }
    const k = this.task.outputs, out = new Float32Array(rows.length * k);
    const lengths = rows.map((r) => r.text.length + (r.pair?.length ?? 0));
    for (const bucket of lengthBuckets(lengths, this.batchSize, new Rng(1), Number.POSITIVE_INFINITY)) {
      const feeds = { ...this.base.encode(bucket.map((i) => rows[i]), this.task, this.maxLength), ...feedsW };
      const s = (await this.session.run(feeds, [SCORES_OUTPUT]))[SCORES_OUTPUT].data as Float32Array;
      bucket.forEach((i, r) => out.set(s.subarray(r * k, (r + 1) * k), i * k));
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.session.dispose();
  }
}

/** Class index (argmax) per row, or the regression score. */
export function predictionsOf(scores: Float32Array, task: TaskSpec): Float64Array {
  const k = task.outputs, n = scores.length / k, out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (task.type === 'regression') { out[i] = scores[i]; continue; }
    let best = 0;
    for (let c = 1; c < k; c++) if (scores[i * k + c] > scores[i * k + best]) best = c;
    out[i] = best;
  }
  return out;
}

/**
 * GLUE metrics of `scores` against the rows' labels: the file's GLUE task's, else those of
 * `trainedWith` (a pack's recorded dev metrics: a CoLA pack reports MCC on a renamed or
 * headerless CoLA file too), else the task type's.
 */
export function metricsOf(scores: Float32Array, rows: readonly { label: number }[], task: TaskSpec, glue?: GlueTask, trainedWith: Record<string, number> = {}): Metrics {
  const trained = trainedMetricNames(trainedWith, task);
  const names = glue || trained.length === 0 ? metricNames(task, glue) : trained;
  return computeMetrics(names, predictionsOf(scores, task), Float64Array.from(rows, (r) => r.label));
}

/** The names among a pack's recorded dev metrics that apply to its task type, in GLUE's order. */
export function trainedMetricNames(devMetrics: Record<string, number>, task: TaskSpec): MetricName[] {
  const allowed: readonly MetricName[] = task.type === 'regression' ? GLUE_TASK_METRICS['STS-B'] : ['mcc', 'f1', 'accuracy'];
  return allowed.filter((n) => n in devMetrics);
}

/** Softmax of one row's logits. */
export function softmax(logits: ArrayLike<number>): number[] {
  const m = Math.max(...Array.from(logits));
  const e = Array.from(logits, (x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}
