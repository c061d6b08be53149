/**
 * Evaluation metrics as GLUE defines them (and as scikit-learn / SciPy compute them, which
 * the goldens in test/fixtures/metrics-goldens.json check): accuracy, binary F1 with
 * positive class 1, Matthews correlation, Pearson r and Spearman ρ (ties share their
 * average rank). Undefined cases follow the reference: F1 with no true or predicted
 * positives is 0, MCC with a zero denominator is 0, a correlation with a constant input is NaN.
 */
import type { TaskSpec } from '../model/base.js';
import { GLUE_TASK_METRICS, type GlueTask, type MetricName } from './glue-tasks.js';

export type Metrics = Partial<Record<MetricName, number>>;
type Values = ArrayLike<number>;

function checkLengths(predictions: Values, labels: Values): void {
  if (predictions.length !== labels.length) throw new Error(`metrics: ${predictions.length} predictions for ${labels.length} labels`);
  if (labels.length === 0) throw new Error('metrics: no examples');
}

export function accuracy(predictions: Values, labels: Values): number {
  checkLengths(predictions, labels);
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if (predictions[i] === labels[i]) hits++;
  return hits / labels.length;
}

/** Binary F1 of the positive class (class index `positive`, 1 as GLUE uses for MRPC and QQP). */
export function f1(predictions: Values, labels: Values, positive = 1): number {
  checkLengths(predictions, labels);
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = predictions[i] === positive, t = labels[i] === positive;
    if (p && t) tp++;
    else if (p) fp++;
    else if (t) fn++;
  }
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

/** Matthews correlation; the multiclass form (Gorodkin's R_K) reduces to the binary φ. */
export function matthews(predictions: Values, labels: Values): number {
  checkLengths(predictions, labels);
  const classes = [...new Set([...Array.from(labels), ...Array.from(predictions)])];
  const at = new Map(classes.map((c, i) => [c, i]));
  const k = classes.length;
  const t = new Float64Array(k), p = new Float64Array(k);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    t[at.get(labels[i])!]++;
    p[at.get(predictions[i])!]++;
    if (predictions[i] === labels[i]) correct++;
  }
  const n = labels.length;
  let tp = 0, tt = 0, pp = 0;
  for (let c = 0; c < k; c++) { tp += t[c] * p[c]; tt += t[c] * t[c]; pp += p[c] * p[c]; }
  const denominator = Math.sqrt((n * n - pp) * (n * n - tt));
  return denominator === 0 ? 0 : (correct * n - tp) / denominator;
}

export function pearson(x: Values, y: Values): number {
  checkLengths(x, y);
  const dx = centredScaled(x), dy = centredScaled(y);
  if (!dx || !dy) return NaN;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < dx.length; i++) { sxy += dx[i] * dy[i]; sxx += dx[i] * dx[i]; syy += dy[i] * dy[i]; }
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** x − mean(x), divided by its largest magnitude (as SciPy does, so tiny or huge values do not under/overflow); undefined if constant. */
function centredScaled(x: Values): Float64Array | undefined {
  let mean = 0;
  for (let i = 0; i < x.length; i++) mean += x[i];
  mean /= x.length;
  const d = Float64Array.from(x, (v) => v - mean);
  let max = 0;
  for (const v of d) max = Math.max(max, Math.abs(v));
  if (max === 0) return undefined;
  for (let i = 0; i < d.length; i++) d[i] /= max;
  return d;
}

/** 1-based ranks; tied values share the average of the ranks they span. */
export function averageRanks(x: Values): Float64Array {
  const order = Array.from({ length: x.length }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const ranks = new Float64Array(x.length);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && x[order[end]] === x[order[start]]) end++;
    const rank = (start + 1 + end) / 2;
    for (let j = start; j < end; j++) ranks[order[j]] = rank;
    start = end;
  }
  return ranks;
}

export function spearman(x: Values, y: Values): number {
  checkLengths(x, y);
  return pearson(averageRanks(x), averageRanks(y));
}

const METRIC_FNS: Record<MetricName, (predictions: Values, labels: Values) => number> = {
  accuracy, f1, mcc: matthews, pearson, spearman,
};

export function computeMetrics(names: readonly MetricName[], predictions: Values, labels: Values): Metrics {
  return Object.fromEntries(names.map((name) => [name, METRIC_FNS[name](predictions, labels)]));
}

/** The metrics GLUE reports for `task` (class indices for classification, scores for STS-B). */
export function glueMetrics(task: GlueTask, predictions: Values, labels: Values): Metrics {
  return computeMetrics(GLUE_TASK_METRICS[task], predictions, labels);
}

/** The metrics for a dataset: its GLUE task's, else accuracy (classification) or Pearson/Spearman. */
export function metricNames(task: TaskSpec, glue?: GlueTask): readonly MetricName[] {
  if (glue) return GLUE_TASK_METRICS[glue];
  return task.type === 'regression' ? GLUE_TASK_METRICS['STS-B'] : ['accuracy'];
}

/** GLUE's single per-task score: the mean of the task's metrics (MRPC: (F1 + acc) / 2). */
export function glueScore(metrics: Metrics, names: readonly MetricName[]): number {
  return names.reduce((s, name) => s + (metrics[name] ?? NaN), 0) / names.length;
}
