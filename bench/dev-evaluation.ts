/**
 * A dev evaluation of an L0 state (diff-structured), as the trainer runs one after a phase's
 * steps, two ways, in alternating rounds in one process:
 *   host  — θ + δ built on the host as new arrays (run-state.ts's currentWeights), then fed
 *   graph — θ, w and α fed; the inference graph builds θ + δ as layers read it (train/phase-eval.ts)
 * SST-2 dev (872 rows; generated sentences where the data is absent) on the shipped base, or
 * on DEV_EVAL_HOME's DEV_EVAL_BASE (e.g. the BERT-base that train-memory-bert imports).
 * The state: w ~ U(−0.005, 0.005), α ~ U(−4, 4), group α 3 (gates closed, open and between).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importDataset } from '../src-main/data/index.js';
import { Predictor } from '../src-main/infer/evaluate.js';
import { defaultBaseId, ensureShippedBase, loadBase } from '../src-main/model/registry.js';
import { diffName, gateName, groupGateName } from '../src-main/train/diff-params.js';
import { shapesOf } from '../src-main/train/methods.js';
import { evaluationParams } from '../src-main/train/phase-eval.js';
import { currentWeights, f32Of, type RunState } from '../src-main/train/run-state.js';
import { paramInput } from '../src-main/train/step-graph.js';
import { Rng } from '../src-main/util/rng.js';
import { dataDir, writeSyntheticSentiment } from '../support/trainer-fixtures.js';
import { runIfMain } from './results-file.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run(): Promise<object> {
  const given = process.env.DEV_EVAL_HOME;
  const home = given ?? mkdtempSync(join(tmpdir(), 'taskpack-bench-'));
  try {
    if (!given) ensureShippedBase(home, defaultBaseId(), () => {});
    const base = loadBase(home, process.env.DEV_EVAL_BASE || undefined);
    const sst2 = join(dataDir(), 'glue', 'SST-2', 'dev.tsv');
    const dev = existsSync(sst2) ? importDataset(sst2) : importDataset(writeSyntheticSentiment(home, 'dev.tsv', 872, 2));
    const task = dev.task, shapes = shapesOf(base), rng = new Rng(3), state: RunState = new Map();
    const fill = (dims: number[], f: () => number) => ({ dims, data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, f) });
    for (const [n, dims] of Object.entries(shapes)) {
      state.set(paramInput(diffName(n)), fill(dims, () => (rng.uniform() - 0.5) * 0.01));
      state.set(paramInput(gateName(n)), fill(dims, () => (rng.uniform() - 0.5) * 8));
      state.set(paramInput(groupGateName(n)), fill([1], () => 3));
    }
    for (const [n, dims] of Object.entries(base.headShapes(task))) state.set(paramInput(n), fill(dims, () => 0.01));
    const host = await Predictor.open(base, task, { maxLength: 128 });
    const graph = await Predictor.open(base, task, { maxLength: 128, params: evaluationParams('diff-structured', 'l0', shapes, Object.keys(shapes)) });
    const seconds: Record<'host' | 'graph', number[]> = { host: [], graph: [] };
    let maxAbsDiff = 0;
    try {
      for (let round = 0; round < Number(process.env.DEV_EVAL_ROUNDS ?? 3); round++) {
        let t = performance.now();
        const { weights } = currentWeights(base, 'diff-structured', 'l0', state);
        const a = await host.scores(dev.rows, (n) => weights.get(n) ?? base.weights.get(n)!);
        seconds.host.push((performance.now() - t) / 1000);
        t = performance.now();
        const b = await graph.scores(dev.rows, (n) => {
          const s = state.get(n) ?? state.get(paramInput(n));
          return s ? { dims: s.dims, data: f32Of(s) } : base.weights.get(n)!;
        });
        seconds.graph.push((performance.now() - t) / 1000);
        for (let i = 0; i < a.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[i] - b[i]));
      }
    } finally {
      await host.dispose();
      await graph.dispose();
    }
    return {
      base: base.id, rows: dev.rows.length, statistic: 'seconds per evaluation of all rows (batches of 64): median over alternating rounds, each round listed',
      seconds, median_s: { host: +median(seconds.host).toFixed(2), graph: +median(seconds.graph).toFixed(2) },
      graph_over_host: +(median(seconds.graph) / median(seconds.host)).toFixed(2), max_abs_score_diff: maxAbsDiff,
    };
  } finally {
    if (!given) rmSync(home, { recursive: true, force: true });
  }
}

await runIfMain(import.meta.url, 'dev-evaluation', run);
