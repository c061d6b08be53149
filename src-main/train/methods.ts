/**
 * The training methods (README's `taskpack train`) as phases of step graphs over any base:
 *   diff / diff-structured: 'l0' (θ + z⊙w with Hard-Concrete gates and λ·E[L0], λ an input) → project → 'mask'
 *   magnitude:              'dense' over every base tensor → project θ_ft − θ → 'mask'
 *   full / last-layer / bitfit: one 'dense' phase over all / the last layer on / the bias tensors
 *   lora / adapter-houlsby / adapter-pfeiffer: one 'dense' phase over the module tensors
 *     (model/modules.ts) and the base tensors the method trains with them (Houlsby's LayerNorms)
 * 'mask' is the fixed-mask finetune θ + m⊙w with the mask an input. The task head is dense,
 * trained in every phase and never penalised. Frozen base tensors are graph inputs
 * `frozen.<name>` (fed zero-copy each step; one compiled graph whatever the weights).
 */
import * as g from '../graph/index.js';
import type { Tensor } from '../graph/index.js';
import type { BaseModel, TaskSpec } from '../model/base.js';
import type { ParamFn } from '../model/layers.js';
import { adapterBottleneck, initModules, moduleBaseTensors, moduleShapes, withModules, type ModuleSpec } from '../model/modules.js';
import type { Rng } from '../util/rng.js';
import { DEFAULT_ADAMW, type MomentType } from './adamw.js';
import { diffName, diffPruned, diffTrainables, type StructuredPenalty } from './diff-params.js';
import { correctCount, softmaxCrossEntropy } from './losses.js';
import { buildStepGraph, type Objective, type StepGraph, type Trainable } from './step-graph.js';

export const MODULE_METHODS = ['lora', 'adapter-houlsby', 'adapter-pfeiffer'] as const;
export const METHODS = ['diff-structured', 'diff', 'full', 'last-layer', 'bitfit', 'magnitude', ...MODULE_METHODS] as const;
export type Method = (typeof METHODS)[number];
export type ModuleMethod = (typeof MODULE_METHODS)[number];
export const isMethod = (m: string): m is Method => (METHODS as readonly string[]).includes(m);
export const isModuleMethod = (m: string): m is ModuleMethod => (MODULE_METHODS as readonly string[]).includes(m);

/** A module method's sizes (train-config.ts); no bottleneck: sized to the sparsity budget (adapterBottleneck). */
export interface ModuleSizes { rank: number; loraAlpha: number; loraTargets: 'qv' | 'all'; bottleneck?: number; sparsity: number }

/** The module a method trains on a base (undefined for the diff and dense methods). */
export function moduleSpecOf(m: Method, c: ModuleSizes, baseShapes: Record<string, number[]>): ModuleSpec | undefined {
  if (!isModuleMethod(m)) return undefined;
  const variant = m === 'adapter-houlsby' ? 'houlsby' : 'pfeiffer';
  const spec: ModuleSpec = m === 'lora' ? { kind: 'lora', rank: c.rank, alpha: c.loraAlpha, targets: c.loraTargets }
    : { kind: 'adapter', variant, bottleneck: c.bottleneck ?? adapterBottleneck(variant, baseShapes, c.sparsity) };
  moduleShapes(spec, baseShapes); // throws where the base cannot host it (no such layers, too wide)
  return spec;
}

/** The group of module tensors (and the base tensors a module method trains): one learning rate, `lr.module`. */
export const MODULE_GROUP = 'module';

export type PhaseKind = 'l0' | 'dense' | 'mask';

/** The phases a method runs, in order; a projection separates 'l0'/'dense' from 'mask'. */
export function methodPhases(m: Method): PhaseKind[] {
  if (m === 'diff' || m === 'diff-structured') return ['l0', 'mask'];
  if (m === 'magnitude') return ['dense', 'mask'];
  return ['dense'];
}

/** The methods whose state is 3–6 × the base: every base tensor trained, or w and α of each. */
const FLOAT16_MOMENTS: readonly Method[] = ['full', 'magnitude', 'diff', 'diff-structured'];

/**
 * Adam moments in float16 for the methods with a base-sized state (docs/benchmarks.md: dev
 * scores unchanged on the shipped base); float32 for bitfit's and last-layer's small ones.
 */
export const defaultMoments = (m: Method): MomentType => (FLOAT16_MOMENTS.includes(m) ? 'float16' : 'float32');

export const frozenName = (n: string) => `frozen.${n}`;
export const maskName = (n: string) => `mask.${n}`;
/** Inputs fed unchanged through a phase (frozen base tensors, masks), as opposed to per step. */
export const isFixedInput = (name: string) => name.startsWith(frozenName('')) || name.startsWith(maskName(''));

/** Names of the transformer layers' tensors: `l<k>.…`. */
const layerOf = (n: string): number | undefined => {
  const m = /^l(\d+)\./.exec(n);
  return m ? Number(m[1]) : undefined;
};

/** The base tensors a dense phase trains: all (full, magnitude), the last layer and after it, or biases. */
export function denseTensors(m: Method, shapes: Record<string, number[]>): string[] {
  const names = Object.keys(shapes);
  if (m === 'adapter-houlsby') return moduleBaseTensors({ kind: 'adapter', variant: 'houlsby', bottleneck: 1 }, names);
  if (isModuleMethod(m)) return [];
  if (m === 'bitfit') return names.filter((n) => n.endsWith('.b'));
  if (m === 'last-layer') {
    const last = Math.max(...names.map((n) => layerOf(n) ?? -1));
    // The last layer plus what follows the layers (USE-lite's tanh dense, BERT's pooler).
    return names.filter((n) => layerOf(n) === last || (layerOf(n) === undefined && !n.startsWith('emb.')));
  }
  return names;
}

export const CLIP_MODES = ['global', 'separate'] as const;
/** 'global': one gradient norm over every trainable; 'separate': the gates' norm apart from the rest's (the official code's two clips). */
export type ClipMode = (typeof CLIP_MODES)[number];

/** Hyper-parameters of the graph (learning rates and the L0 phase's λ are fed per step). */
export interface GraphOptions {
  weightDecay: number;
  /** The structured L0 penalty's form (diff-params.ts; default 'product'). */
  penalty?: StructuredPenalty;
  /** λ's factor per base tensor (default 1). */
  penaltyWeight?: (name: string) => number;
  /** The L0 penalty per tensor: as is, or scaled by w's gradient scale (diff-params.ts; default 'none'). */
  penaltyScale?: PenaltyScale;
  clip?: ClipMode;
  moments?: MomentType;
  /** The module method's module (moduleSpecOf). */
  module?: ModuleSpec;
}

export const PENALTY_SCALES = ['none', 'gradient'] as const;
export type PenaltyScale = (typeof PENALTY_SCALES)[number];
/**
 * 'gradient' for diff-structured: the gates' default allocation follows the raw gradient's
 * scale (the pooler and LayerNorm take a third of the budget on CoLA, magnitude pruning's
 * seeds a few hundred positions); scaled, it moves most of the way to magnitude pruning's and
 * every task's three-seed mean rises (docs/results.md, "the penalty in the gradient's units"),
 * SST-2's too (85.9 against 85.6). Unstructured gates do not gain from it (CoLA 13.0 against
 * 13.3, RTE 60.5 against 60.0, inside the seeds' spread), so `diff` keeps one λ for every gate.
 */
export const defaultPenaltyScale = (m: Method): PenaltyScale => (m === 'diff-structured' ? 'gradient' : 'none');

/**
 * λ's factor for each base tensor from per-layer factors [embeddings, layer 0, …, layer L−1,
 * the rest] (the official code's --sparsity_penalty_per_layer, which indexes BERT the same way).
 */
export function layerPenaltyWeight(factors: readonly number[], names: readonly string[]): (name: string) => number {
  const layers = Math.max(...names.map((n) => layerOf(n) ?? -1)) + 1;
  if (factors.length !== layers + 2) throw new Error(`the per-layer penalty takes ${layers + 2} factors (embeddings, ${layers} layers, the rest), got ${factors.length}`);
  return (n) => factors[n.startsWith('emb.') ? 0 : (layerOf(n) ?? layers) + 1];
}

/** A run's graph options. */
export function graphOptionsOf(base: BaseModel, c: { method: Method; weightDecay: number; penalty: StructuredPenalty; penaltyScale: PenaltyScale; clip: ClipMode; layerPenalty?: readonly number[]; moments: MomentType } & ModuleSizes): GraphOptions {
  const module = moduleSpecOf(c.method, c, shapesOf(base));
  return {
    weightDecay: c.weightDecay, penalty: c.penalty, penaltyScale: c.penaltyScale, clip: c.clip, moments: c.moments, ...(module ? { module } : {}),
    ...(c.layerPenalty ? { penaltyWeight: layerPenaltyWeight(c.layerPenalty, [...base.weights.keys()]) } : {}),
  };
}

/** The L0 phase's per-step input: λ of the expected-L0 penalty (lambda-schedule.ts). */
export const LAMBDA_INPUT = 'lambda';

export interface PhaseGraph {
  kind: PhaseKind;
  graph: StepGraph;
  trainables: Trainable[];
  /** Base tensors fed as frozen inputs (`frozen.<n>`). */
  frozen: string[];
  /** Base tensors wrapped as θ + δ (l0, mask) or trained directly (dense). */
  adapted: string[];
}

/** Mean squared error of a [batch, 1] prediction against float32 targets [batch]. */
function meanSquaredError(pred: Tensor, targets: Tensor): Tensor {
  const err = g.sub(g.squeeze(pred, [1]), targets);
  return g.div(g.reduceSum(g.square(err)), g.reduceSum(g.onesLike(err)));
}

export const shapesOf = (base: BaseModel): Record<string, number[]> => Object.fromEntries([...base.weights].map(([n, t]) => [n, [...t.dims]]));

/** A module method's module tensors at their initialisation (modules.ts), drawn from the run's seed. */
export function initialModules(base: BaseModel, spec: ModuleSpec, rng: Rng): Record<string, Float32Array> {
  return initModules(spec, moduleShapes(spec, shapesOf(base)), rng);
}

export function buildPhaseGraph(base: BaseModel, task: TaskSpec, method: Method, kind: PhaseKind, o: GraphOptions): PhaseGraph {
  const shapes = shapesOf(base);
  if (isModuleMethod(method) !== (o.module !== undefined)) throw new Error(`the method '${method}' ${o.module ? 'trains no module' : 'needs its module spec'}`);
  const modules = o.module ? moduleShapes(o.module, shapes) : {};
  const adapted = kind === 'dense' ? denseTensors(method, shapes) : Object.keys(shapes);
  const adaptedSet = new Set(adapted);
  const adaptedShapes = Object.fromEntries(adapted.map((n) => [n, shapes[n]]));
  const headShapes = base.headShapes(task);
  const structured = method === 'diff-structured';
  const trainables: Trainable[] = [
    ...(kind === 'l0' ? diffTrainables(adaptedShapes, { structured }).map((t) => (o.clip === 'separate' && t.group === 'gates' ? { ...t, clipSet: 'gates' } : t))
      : kind === 'mask' ? adapted.map((n) => ({ name: diffName(n), shape: shapes[n], group: 'diff', decay: false }))
        : adapted.map((n) => ({ name: n, shape: shapes[n], group: o.module ? MODULE_GROUP : 'base', decay: true }))),
    ...Object.entries(modules).map(([name, shape]) => ({ name, shape, group: MODULE_GROUP, decay: true })),
    ...Object.entries(headShapes).map(([name, shape]) => ({ name, shape, group: 'head', decay: true })),
  ];
  const frozenInputs = new Map<string, Tensor>();
  const frozenOf = (n: string) => {
    let t = frozenInputs.get(n);
    if (!t) frozenInputs.set(n, (t = g.input(frozenName(n), 'float32', shapes[n])));
    return t;
  };
  const graph = buildStepGraph(trainables, (p, rootSecondMoment): Objective => {
    const inputs = base.inputs(task);
    const metrics: Record<string, Tensor> = {};
    let paramFn: ParamFn;
    let penalty: Tensor | undefined;
    if (kind === 'l0') {
      const diff = diffPruned(adaptedShapes, frozenOf, p, {
        structured, penalty: o.penalty, penaltyWeight: o.penaltyWeight,
        ...(o.penaltyScale === 'gradient' ? { gradientScale: rootSecondMoment } : {}),
      });
      paramFn = (n) => (n.startsWith('head.') ? p(n) : diff.param(n));
      penalty = diff.expectedL0;
      metrics.expectedL0 = diff.expectedL0;
      metrics.expectedNonzeros = diff.expectedNonzeros;
    } else if (kind === 'mask') {
      const masked = new Map(adapted.map((n) => [n, g.add(frozenOf(n), g.mul(g.input(maskName(n), 'float32', shapes[n]), p(diffName(n))))]));
      paramFn = (n) => (n.startsWith('head.') ? p(n) : masked.get(n)!);
    } else {
      paramFn = (n) => (n.startsWith('head.') || adaptedSet.has(n) ? p(n) : frozenOf(n));
      if (o.module) paramFn = withModules(paramFn, o.module, p);
    }
    const out = base.taskOutputs(paramFn, inputs, task);
    let taskLoss: Tensor;
    if (task.type === 'regression') {
      taskLoss = meanSquaredError(out, g.input('labels', 'float32', ['batch']));
    } else {
      const labels = g.input('labels', 'int32', ['batch']);
      taskLoss = softmaxCrossEntropy(out, labels);
      metrics.correct = correctCount(out, labels);
    }
    return { loss: penalty ? g.add(taskLoss, g.mul(penalty, g.input(LAMBDA_INPUT, 'float32', []))) : taskLoss, metrics: { taskLoss, ...metrics } };
  }, { ...DEFAULT_ADAMW, weightDecay: o.weightDecay, moments: o.moments });
  return { kind, graph, trainables, frozen: [...frozenInputs.keys()], adapted };
}
