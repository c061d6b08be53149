/**
 * A synthetic diff-pruning task: an encoder of any size trained by diff pruning
 * (Hard-Concrete gates, expected-L0 penalty, dense head, softmax cross-entropy, AdamW)
 * on a separable token problem. At TINY_CONFIG (1 layer, hidden 8) it is the engine's
 * composite check in `taskpack doctor` and the tests; larger, it is the step benchmark.
 */
import * as g from '../graph/index.js';
import type { NDArray, Tensor } from '../graph/index.js';
import { classifierLogits, encoderInputs, encoderParamShapes, headParamShapes, initParams, type EncoderConfig } from '../model/encoder.js';
import { DEFAULT_ADAMW, type AdamWConfig } from '../train/adamw.js';
import { diffPruned, diffTrainables } from '../train/diff-params.js';
import { GateNoise, noiseInputs } from '../train/gate-noise.js';
import { STRETCH_LEFT, STRETCH_RIGHT } from '../train/hard-concrete.js';
import { correctCount, softmaxCrossEntropy } from '../train/losses.js';
import { Rng } from '../util/rng.js';
import { buildStepGraph, momentInputs, paramInput, type Objective, type StepGraph, type Trainable } from '../train/step-graph.js';

export const TINY_CONFIG: EncoderConfig = { vocab: 16, hidden: 8, layers: 1, heads: 2, ffn: 16, maxLen: 8, classes: 2 };

export interface SyntheticTask {
  config: EncoderConfig;
  graph: StepGraph;
  trainables: Trainable[];
  /** The initial state feeds: parameters, zero moments. */
  initialState(): Record<string, NDArray>;
  /**
   * Feeds for step t (1-based): a batch, noise, step and learning rates. With
   * reuseNoiseBuffers, `substep` picks the set of noise buffers (one per step of a run).
   */
  stepFeeds(t: number, substep?: number): Record<string, NDArray>;
}

const f32 = (shape: number[], data: Float32Array): NDArray => ({ dtype: 'float32', shape, data });

export type SyntheticMethod = 'diff-structured' | 'diff' | 'full';

export interface SyntheticTaskOptions {
  config?: EncoderConfig;
  /** Diff pruning with structured or unstructured gates, or full finetuning (for comparison). */
  method?: SyntheticMethod;
  lambda?: number;
  batch?: number;
  seq?: number;
  seed?: number;
  optimizer?: AdamWConfig;
  /** Learning rate per parameter group (diff, gates, head; base for full finetuning). */
  lr?: Record<string, number>;
  /** Scale each tensor's L0 penalty by w's gradient scale (diff-params.ts). */
  gradientScaledPenalty?: boolean;
  /**
   * Draw gate noise into the same buffers every step, as the trainer does (for timing): a
   * step's feeds then stay valid only until the next stepFeeds call for the same substep.
   */
  reuseNoiseBuffers?: boolean;
}

/** Class 0 sentences use tokens from the lower half of the vocabulary, class 1 the upper. */
export function syntheticBatch(rng: Rng, cfg: EncoderConfig, batch: number, seq: number): Record<string, NDArray> {
  const ids = new Int32Array(batch * seq), mask = new Float32Array(batch * seq), labels = new Int32Array(batch);
  const half = cfg.vocab / 2;
  for (let b = 0; b < batch; b++) {
    labels[b] = b % 2;
    const len = 2 + rng.int(seq - 1);
    for (let t = 0; t < seq; t++) {
      if (t >= len) continue;
      ids[b * seq + t] = labels[b] * half + rng.int(half);
      mask[b * seq + t] = 1;
    }
  }
  return {
    ids: { dtype: 'int32', shape: [batch, seq], data: ids },
    mask: f32([batch, seq], mask),
    labels: { dtype: 'int32', shape: [batch], data: labels },
    positions: { dtype: 'int32', shape: [seq], data: Int32Array.from({ length: seq }, (_, i) => i) },
  };
}

export function syntheticTask(o: SyntheticTaskOptions = {}): SyntheticTask {
  const cfg = o.config ?? TINY_CONFIG;
  const { method = 'diff-structured', lambda = 1e-3, batch = 8, seq = 6, seed = 1 } = o;
  const structured = method === 'diff-structured';
  const full = method === 'full';
  const lr = o.lr ?? (full ? { base: 1e-2, head: 1e-2 } : { diff: 1e-2, gates: 1e-1, head: 1e-2 });
  const rng = new Rng(seed);
  const baseShapes = encoderParamShapes(cfg);
  const base = initParams(baseShapes, rng);
  const head = initParams(headParamShapes(cfg), rng);
  const trainables: Trainable[] = [
    ...(full ? Object.entries(baseShapes).map(([name, shape]) => ({ name, shape, group: 'base', decay: true }))
      : diffTrainables(baseShapes, { structured })),
    ...Object.entries(headParamShapes(cfg)).map(([name, shape]) => ({ name, shape, group: 'head', decay: true })),
  ];
  const graph = buildStepGraph(trainables, (p, rootSecondMoment): Objective => {
    const x = encoderInputs();
    const labels = g.input('labels', 'int32', ['batch']);
    if (full) {
      const logits = classifierLogits(cfg, p, x);
      const taskLoss = softmaxCrossEntropy(logits, labels);
      return { loss: taskLoss, metrics: { taskLoss, correct: correctCount(logits, labels) } };
    }
    const frozen = (n: string) => g.constant({ dtype: 'float32', shape: baseShapes[n], data: base[n] }, 'float32', `base.${n}`);
    const diff = diffPruned(baseShapes, frozen, p, { structured, ...(o.gradientScaledPenalty ? { gradientScale: rootSecondMoment } : {}) });
    const paramFn = (n: string): Tensor => (n.startsWith('head.') ? p(n) : diff.param(n));
    const logits = classifierLogits(cfg, paramFn, x);
    const taskLoss = softmaxCrossEntropy(logits, labels);
    return {
      loss: g.add(taskLoss, g.mul(diff.expectedL0, lambda)),
      metrics: { taskLoss, expectedL0: diff.expectedL0, correct: correctCount(logits, labels) },
    };
  }, o.optimizer ?? DEFAULT_ADAMW);

  const halfMoments = (o.optimizer ?? DEFAULT_ADAMW).moments === 'float16';
  const dataRng = new Rng(seed + 1);
  const noiseRng = new Rng(seed + 2);
  const noiseSpec = noiseInputs(graph.inputs, Object.values(graph.outputs));
  const noise: GateNoise[] = [];
  return {
    config: cfg, graph, trainables,
    initialState() {
      const s: Record<string, NDArray> = {};
      for (const t of trainables) {
        const shape = t.shape as number[];
        const n = shape.reduce((a, b) => a * b, 1);
        const init = t.group === 'head' ? head[t.name].slice() : t.group === 'base' ? base[t.name].slice()
          : new Float32Array(n).fill(t.group === 'gates' ? 5 : 0);
        s[paramInput(t.name)] = f32(shape, init);
        for (const m of momentInputs(t.name)) s[m] = halfMoments ? { dtype: 'float16', shape, data: new Uint16Array(n) } : f32(shape, new Float32Array(n));
      }
      return s;
    },
    stepFeeds(t, substep = 0) {
      const feeds: Record<string, NDArray> = { ...syntheticBatch(dataRng, cfg, batch, seq) };
      for (const [n, u] of (noise[substep] ??= new GateNoise(noiseSpec)).draw(noiseRng, (ids) => feeds[ids].data as Int32Array)) {
        feeds[n] = { dtype: 'float16', shape: u.shape, data: o.reuseNoiseBuffers ? u.data : u.data.slice() };
      }
      feeds.step = f32([], Float32Array.of(t));
      for (const [k, v] of Object.entries(lr)) feeds[`lr.${k}`] = f32([], Float32Array.of(v));
      return feeds;
    },
  };
}

/**
 * A generic point for gradient checks: random diffs and gate logits, with the noise moved
 * so that no stretched gate sits within 0.05 of the clip at 0 or 1 (finite differences
 * must not straddle a kink).
 */
export function genericPoint(feeds: Record<string, NDArray>, rng: Rng): Record<string, NDArray> {
  const out = { ...feeds };
  const redraw = (v: NDArray, f: () => number): NDArray => ({ ...v, data: Float64Array.from(v.data, f) });
  for (const [k, v] of Object.entries(feeds)) {
    if (k.startsWith('p.diff.')) out[k] = redraw(v, () => 0.1 * (2 * rng.uniform() - 1));
    if (k.startsWith('p.gate.') || k.startsWith('p.groupgate.')) out[k] = redraw(v, () => 2 * rng.uniform() - 1);
  }
  for (const [k, v] of Object.entries(out)) {
    const kind = k.startsWith('noise.') ? 'gate' : k.startsWith('groupnoise.') ? 'groupgate' : null;
    if (!kind) continue;
    const alpha = out[`p.${kind}.${k.slice(k.indexOf('.') + 1)}`];
    // Logistic noise whose stretched gate stays 0.05 away from the clips at 0 and 1.
    out[k] = { ...v, data: Float64Array.from(v.data, (noise, i) => {
      for (;;) {
        const stretched = (STRETCH_RIGHT - STRETCH_LEFT) / (1 + Math.exp(-(noise + alpha.data[i]))) + STRETCH_LEFT;
        if (Math.abs(stretched) > 0.05 && Math.abs(stretched - 1) > 0.05) return noise;
        noise = 4 * (2 * rng.uniform() - 1);
      }
    }) };
  }
  return out;
}
