/**
 * The app process's memory around a training run: what a run leaves behind in the process
 * that started it (the Electron main process, the dev host, the CLI). A fresh process per
 * row plays the app: it starts a TrainingWorker job (diff-structured, the default config),
 * cancels it once the first steps are reported (the run checkpoints and ends, as a user's
 * cancel does), and reads from /proc:
 *   before — its VmRSS once the base is converted, before the job starts
 *   peak   — the highest VmRSS sampled (every 50 ms) while the job runs, its own and, apart,
 *            that of its child processes (where the run is one)
 *   after  — its VmRSS 3 s after the job ended, the garbage collected
 * Rows: the shipped base (use-lite-en, SST-2 or generated sentences), and opt-in
 * (APP_MEMORY_BERT=1) a BERT-base-sized base (support/bert-base-synth.ts) at batch 8:
 * copied from APP_MEMORY_BERT_HOME's base store where that holds one (never written
 * there), else generated and imported. APP_MEMORY_LABEL names the variant measured
 * (default `child-process`; `worker-thread` on a checkout that still runs jobs in a thread,
 * its results kept as app-memory-after-run-worker-thread.json). Linux only (procfs).
 * Run alone: `npx tsx bench/app-memory-after-run.ts`.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureShippedBase } from '../src-main/model/registry.js';
import { DEFAULT_CONFIG } from '../src-main/train/train-config.js';
import { TrainingWorker } from '../src-main/train/training-worker.js';
import { BERT_BASE_ID, importBertBase } from '../support/bert-base-synth.js';
import { dataDir, writeSyntheticSentiment } from '../support/trainer-fixtures.js';
import { runIfMain } from './results-file.js';

const CHILD = '--app-child';
const MiB = 2 ** 20;

/** VmRSS of a process, bytes (0 once it is gone). */
function rss(pid: number | 'self'): number {
  try {
    return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** The summed VmRSS of this process's child processes. */
function childrenRss(): number {
  const ids = readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return ids.reduce((a, id) => a + rss(Number(id)), 0);
}

/** SST-2 as the wizard hands it over; generated sentences where the data is absent. */
function trainingFiles(home: string): { trainPath: string; devPath: string; source: string } {
  const glue = join(dataDir(), 'glue', 'SST-2');
  if (existsSync(join(glue, 'train.tsv'))) return { trainPath: join(glue, 'train.tsv'), devPath: join(glue, 'dev.tsv'), source: 'SST-2' };
  return { trainPath: writeSyntheticSentiment(home, 'train.tsv', 4000, 1), devPath: writeSyntheticSentiment(home, 'dev.tsv', 800, 2), source: 'generated sentences' };
}

/** The measured process: one job, cancelled after its first reported step. */
async function measure(baseId: string, home: string, batchSize: number): Promise<object> {
  const { trainPath, devPath, source } = trainingFiles(home);
  globalThis.gc?.();
  const before = rss('self');
  let peak = before, childPeak = 0, stepsSeen = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rss('self'));
    childPeak = Math.max(childPeak, childrenRss());
  }, 50);
  const t0 = performance.now();
  const job = new TrainingWorker({
    home, baseId, trainPath, devPath, columns: {}, provider: 'cpu', runDir: join(home, 'runs', `bench-${Date.now()}`),
    config: { ...DEFAULT_CONFIG, method: 'diff-structured', batchSize },
  }, (e) => {
    if (e.kind !== 'step') return;
    stepsSeen = e.step;
    job.cancel();
  });
  const outcome = await job.outcome;
  const seconds = (performance.now() - t0) / 1000;
  const ended = rss('self');
  await new Promise((resolve) => setTimeout(resolve, 3000));
  globalThis.gc?.();
  const after = rss('self');
  clearInterval(sampler);
  const mib = (b: number) => Math.round(b / MiB);
  return {
    base: baseId, source, batch_size: batchSize, status: outcome.status, steps: stepsSeen, seconds: +seconds.toFixed(1),
    before_mib: mib(before), peak_mib: mib(peak), child_peak_mib: mib(childPeak), ended_mib: mib(ended), after_mib: mib(after),
    retained_mib: mib(after - before), children_after_mib: mib(childrenRss()),
  };
}

/** One row in a fresh process (the app), with the garbage collector exposed. */
async function row(baseId: string, home: string, batchSize: number): Promise<object> {
  const { stdout } = await promisify(execFile)(process.execPath, [...process.execArgv, '--expose-gc', fileURLToPath(import.meta.url), CHILD, baseId, home, String(batchSize)],
    { maxBuffer: 1 << 20, env: { ...process.env, TASKPACK_HOME: home } });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

/** A home holding the BERT-base-sized base: its base store copied from APP_MEMORY_BERT_HOME, or imported. */
function bertHome(home: string): void {
  const from = process.env.APP_MEMORY_BERT_HOME;
  const store = from && join(from, 'bases', BERT_BASE_ID);
  if (store && existsSync(store)) cpSync(store, join(home, 'bases', BERT_BASE_ID), { recursive: true });
  else importBertBase(home, join(home, 'bert-folder'));
}

export async function run(): Promise<object> {
  const home = mkdtempSync(join(tmpdir(), 'taskpack-app-memory-'));
  try {
    ensureShippedBase(home, 'use-lite-en', () => {});
    const rows: Record<string, object> = { 'use-lite-en': await row('use-lite-en', home, DEFAULT_CONFIG.batchSize) };
    if (process.env.APP_MEMORY_BERT === '1') {
      bertHome(home);
      rows[BERT_BASE_ID] = await row(BERT_BASE_ID, home, 8);
    }
    const variant = process.env.APP_MEMORY_LABEL ?? 'child-process';
    return { variant, rows };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

if (process.argv[2] === CHILD) {
  const [baseId, home, batch] = process.argv.slice(3);
  console.log(JSON.stringify(await measure(baseId, home, Number(batch))));
} else {
  await runIfMain(import.meta.url, 'app-memory-after-run', run);
}
