/**
 * Peak memory of a training run on the shipped base (use-lite-en), one method per child
 * process so that no run's peak hides in another's (VmHWM only ever grows):
 *   full · diff · diff-structured, and bitfit as the small reference.
 * Each child loads the base and SST-2 (or generated sentences when the data is absent),
 * then trains STEPS steps per phase at batch 32 on the CPU with the default config (dev
 * evaluation at each phase's end included), and reports from /proc/self/status:
 *   loaded — VmRSS with the base and the data in memory, before the trainer starts
 *   steady — VmRSS at the last step of the first phase (the trainer's working set), and
 *            VmHWM then (the first phase's steps, before its dev evaluation), and the JS
 *            ArrayBuffers then (the training state, the base and the gate noise: the step
 *            loop collects each step's old state, runtime/collect.ts)
 *   peak   — VmHWM at the end of the run (the whole run's high-water mark)
 * against the base's weight bytes. Linux only (procfs).
 * Run alone: `npx tsx bench/train-memory.ts` → bench/results/train-memory.json.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { importDataset, loadTrainDev, type Dataset } from '../src-main/data/index.js';
import { ensureShippedBase, loadBase } from '../src-main/model/registry.js';
import { methodPhases, type Method } from '../src-main/train/methods.js';
import { DEFAULT_CONFIG, Trainer } from '../src-main/train/trainer.js';
import { dataDir, writeSyntheticSentiment } from '../test/train/trainer-support.js';
import { runIfMain } from './results-file.js';

const METHODS: Method[] = ['bitfit', 'full', 'diff', 'diff-structured'];
const STEPS = 20, BATCH = 32;
const CHILD = '--measure-child';
const MiB = 2 ** 20;

/** VmRSS, VmHWM … of this process in bytes. */
function procStatus(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of readFileSync('/proc/self/status', 'utf8').matchAll(/^(Vm\w+):\s+(\d+) kB$/gm)) out[m[1]] = Number(m[2]) * 1024;
  return out;
}

/** SST-2 train/dev as a real run reads them; generated sentences where the data is absent. */
function trainingData(home: string): { train: Dataset; dev: Dataset; source: string } {
  const glue = join(dataDir(), 'glue', 'SST-2');
  if (existsSync(join(glue, 'train.tsv'))) return { ...loadTrainDev(join(glue, 'train.tsv'), join(glue, 'dev.tsv'), { seed: 1 }), source: 'SST-2 (GLUE) train + dev' };
  const dir = mkdtempSync(join(home, 'data-'));
  return {
    train: importDataset(writeSyntheticSentiment(dir, 'train.tsv', 4000, 1)),
    dev: importDataset(writeSyntheticSentiment(dir, 'dev.tsv', 800, 2)),
    source: 'generated sentences (SST-2 not found)',
  };
}

/** The child: one training run, its memory readings as one JSON line on stdout. */
async function measure(method: Method, home: string): Promise<void> {
  const base = loadBase(home);
  const { train, dev, source } = trainingData(home);
  const loaded = procStatus().VmRSS;
  let steady = 0, stepsPeak = 0, jsBuffers = 0;
  const trainer: Trainer = new Trainer({
    base, train, dev, runDir: join(home, 'runs', method),
    config: { ...DEFAULT_CONFIG, method, maxSteps: STEPS, batchSize: BATCH },
    onEvent: (e) => {
      if (e.kind !== 'step' || e.step !== trainer.phaseSteps()) return;
      ({ VmRSS: steady, VmHWM: stepsPeak } = procStatus());
      jsBuffers = process.memoryUsage().arrayBuffers;
    },
  });
  const t0 = performance.now();
  const r = await trainer.run();
  if (r.status !== 'done') throw new Error(`${method}: the run did not finish`);
  const end = procStatus();
  const baseBytes = [...base.weights.values()].reduce((a, t) => a + t.data.byteLength, 0);
  console.log(JSON.stringify({
    method, source, train_rows: train.rows.length, dev_rows: dev.rows.length, steps: r.steps, seconds: +((performance.now() - t0) / 1000).toFixed(1),
    base_bytes: baseBytes, loaded_bytes: loaded, steady_bytes: steady, steady_js_buffers_bytes: jsBuffers, steps_peak_bytes: stepsPeak, peak_bytes: end.VmHWM,
  }));
}

/** Run the child for one method: this file again, under this process's loader flags (tsx or compiled). */
async function child(method: Method, home: string): Promise<Record<string, number | string>> {
  const file = fileURLToPath(import.meta.url);
  const { stdout } = await promisify(execFile)(process.execPath, [...process.execArgv, file, CHILD, method, home], { maxBuffer: 16 * MiB });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

export async function run(): Promise<object> {
  if (!existsSync('/proc/self/status')) return { skipped: 'no /proc/self/status (Linux only)' };
  const home = mkdtempSync(join(tmpdir(), 'bench-train-memory-'));
  try {
    ensureShippedBase(home); // converted once here, so no child's peak includes the conversion
    const mib = (b: number) => +(b / MiB).toFixed(1);
    const runs: Record<string, object> = {};
    let common: Record<string, number | string> = {};
    for (const method of METHODS) {
      console.error(`  train-memory: ${method}…`);
      const r = await child(method, home);
      const base = r.base_bytes as number, peak = r.peak_bytes as number, loaded = r.loaded_bytes as number;
      common = { source: r.source, train_rows: r.train_rows, dev_rows: r.dev_rows, base_mib: mib(base) };
      runs[method] = {
        phases: methodPhases(method).length, steps: r.steps, seconds: r.seconds,
        loaded_mib: mib(loaded), steady_mib: mib(r.steady_bytes as number), steady_js_buffers_mib: mib(r.steady_js_buffers_bytes as number), first_phase_peak_mib: mib(r.steps_peak_bytes as number), peak_mib: mib(peak),
        peak_over_base: +(peak / base).toFixed(2), training_over_base: +((peak - loaded) / base).toFixed(2),
      };
    }
    return {
      base: 'use-lite-en', provider: 'cpu', batch: BATCH, steps_per_phase: STEPS, config: 'DEFAULT_CONFIG (maxLength 128, dev evaluation at each phase end)',
      readings: 'loaded = VmRSS before training; steady = VmRSS at the first phase\'s last step; steady_js_buffers = process.memoryUsage().arrayBuffers then; first_phase_peak = VmHWM then; peak = VmHWM of the run; training_over_base = (peak − loaded) / base weight bytes',
      ...common, runs,
    };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

if (process.argv[2] === CHILD && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await measure(process.argv[3] as Method, process.argv[4]);
else await runIfMain(import.meta.url, 'train-memory', run);
