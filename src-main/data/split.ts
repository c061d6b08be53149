/**
 * Seeded, stratified train/dev splits: when a user gives no dev file, and for QNLI, whose
 * only labelled file here is GLUE's dev set (the "dev-derived split").
 *
 * Classification stratifies by class; regression by score (rows sorted by target, cut into
 * strata of STRATUM rows). round(devFraction · n) rows go to dev, each stratum giving its
 * share rounded up or down (largest remainders), chosen by a Fisher–Yates shuffle from the
 * seed. Both parts keep the file's row order.
 */
import type { TaskType } from '../model/base.js';
import { Rng } from '../util/rng.js';
import { fingerprintRows, importDataset, type Dataset, type ImportOptions } from './dataset.js';

/** Rows per regression stratum. */
const STRATUM = 50;

export interface SplitOptions {
  seed: number;
  /** Share of rows for dev, in (0, 1). */
  devFraction: number;
  /** Upper bound on dev rows (large training sets need no huge dev set). */
  maxDev?: number;
}

export const DEFAULT_DEV_FRACTION = 0.1;
/** QNLI dev-derived split: 20% of GLUE's QNLI dev as our dev, the rest as our train. */
export const QNLI_DEV_FRACTION = 0.2;

/** Indices of the dev part (ascending), chosen per stratum. */
export function stratifiedDevIndices(targets: ArrayLike<number>, type: TaskType, opts: SplitOptions): number[] {
  const n = targets.length;
  if (!(opts.devFraction > 0 && opts.devFraction < 1)) throw new Error(`devFraction must be in (0, 1), got ${opts.devFraction}`);
  const fraction = opts.maxDev !== undefined ? Math.min(opts.devFraction, opts.maxDev / n) : opts.devFraction;
  const rng = new Rng(opts.seed);
  const groups = strata(targets, type);
  const quotas = allocate(groups.map((g) => g.length), fraction);
  const dev: number[] = [];
  groups.forEach((stratum, s) => {
    for (let i = stratum.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [stratum[i], stratum[j]] = [stratum[j], stratum[i]];
    }
    dev.push(...stratum.slice(0, quotas[s]));
  });
  return dev.sort((a, b) => a - b);
}

/**
 * Largest-remainder apportionment: round(fraction · n) dev rows in all, each stratum getting
 * floor or ceil of its exact share (ties go to the earlier stratum).
 */
function allocate(sizes: number[], fraction: number): number[] {
  const total = Math.round(fraction * sizes.reduce((a, b) => a + b, 0));
  const quotas = sizes.map((n) => Math.floor(fraction * n));
  const byRemainder = sizes.map((n, s) => s).sort((a, b) => fraction * sizes[b] - quotas[b] - (fraction * sizes[a] - quotas[a]) || a - b);
  for (let k = 0, left = total - quotas.reduce((a, b) => a + b, 0); k < byRemainder.length && left > 0; k++, left--) quotas[byRemainder[k]]++;
  return quotas;
}

/** Groups of row indices in a fixed order: classes ascending, or score-sorted runs. */
function strata(targets: ArrayLike<number>, type: TaskType): number[][] {
  const order = Array.from({ length: targets.length }, (_, i) => i);
  if (type === 'classification') {
    const byClass = new Map<number, number[]>();
    for (const i of order) (byClass.get(targets[i]) ?? byClass.set(targets[i], []).get(targets[i])!).push(i);
    return [...byClass.keys()].sort((a, b) => a - b).map((k) => byClass.get(k)!);
  }
  order.sort((a, b) => targets[a] - targets[b] || a - b);
  const out: number[][] = [];
  for (let s = 0; s < order.length; s += STRATUM) out.push(order.slice(s, s + STRATUM));
  return out;
}

/** Split a dataset in two; each part gets its own fingerprint and records the split. */
export function splitDataset(ds: Dataset, opts: SplitOptions): { train: Dataset; dev: Dataset } {
  const devIdx = stratifiedDevIndices(ds.rows.map((r) => r.label), ds.task.type, opts);
  const inDev = new Uint8Array(ds.rows.length);
  for (const i of devIdx) inDev[i] = 1;
  const part = (which: 'train' | 'dev'): Dataset => {
    const rows = ds.rows.filter((_, i) => (inDev[i] === 1) === (which === 'dev'));
    return {
      ...ds,
      rows,
      source: { ...ds.source, split: { part: which, seed: opts.seed, devFraction: opts.devFraction } },
      fingerprint: fingerprintRows(rows, ds.task, ds.labels),
    };
  };
  return { train: part('train'), dev: part('dev') };
}

/** A stratified sample of `n` rows (e.g. a small CI subset of SST-2), in file order. */
export function stratifiedSample(ds: Dataset, n: number, seed: number): Dataset {
  if (n >= ds.rows.length) return ds;
  return splitDataset(ds, { seed, devFraction: n / ds.rows.length }).dev;
}

/**
 * Training and dev data for a run: the dev file imported with the training file's columns,
 * task type and labels, or — without one — a seeded stratified split of the training file.
 */
export function loadTrainDev(
  trainPath: string,
  devPath: string | undefined,
  opts: ImportOptions & { seed: number; devFraction?: number; maxDev?: number },
): { train: Dataset; dev: Dataset } {
  const { seed, devFraction = DEFAULT_DEV_FRACTION, maxDev, ...importOpts } = opts;
  const train = importDataset(trainPath, importOpts);
  if (devPath === undefined) return splitDataset(train, { seed, devFraction, maxDev });
  const dev = importDataset(devPath, {
    ...importOpts,
    textCol: train.columns.text,
    pairCol: train.columns.pair ?? 'none',
    labelCol: train.columns.label,
    taskType: train.task.type,
    ...(train.task.type === 'classification' ? { labels: train.labels } : {}),
  });
  return { train, dev };
}

/** QNLI has only GLUE's dev set here: a seeded stratified split of it into train and dev parts. */
export function qnliDevDerivedSplit(qnliDevPath: string, seed: number, devFraction = QNLI_DEV_FRACTION): { train: Dataset; dev: Dataset } {
  return splitDataset(importDataset(qnliDevPath, { glue: 'QNLI' }), { seed, devFraction });
}
