/**
 * Peak memory of a training run, one method per child process so that no run's peak hides
 * in another's (VmHWM only ever grows):
 *   the shipped base (use-lite-en): bitfit (the small reference) · full · diff · diff-structured;
 *   a synthetic BERT-base (`npm run bench -- train-memory-bert`, support/bert-base-synth.ts):
 *   import · full · magnitude · diff · diff-structured · infer (a pack active).
 * Each training child loads the base and SST-2 (or generated sentences when the data is
 * absent), then trains STEPS steps per phase at batch 32 on the CPU with the default
 * config (maxLength 128, dev evaluation at each phase's end and the projection between
 * phases included), and reports from /proc/self/status:
 *   loaded — VmRSS with the base and the data in memory, before the trainer starts
 *   steady — VmRSS at the last step of the first phase (the trainer's working set), and
 *            VmHWM then (the first phase's steps, before its dev evaluation), and the JS
 *            ArrayBuffers then (the training state, the base and the gate noise)
 *   evaluated / projected — VmHWM after the first phase's dev evaluation, and VmRSS and VmHWM
 *            once the projection into the fixed-mask phase is done (two-phase methods)
 *   peak   — VmHWM at the end of the run (the whole run's high-water mark)
 * against the base's weight bytes, and the training state's bytes (parameters, moments).
 * The import child runs `taskpack base import`, the infer child `taskpack infer --pack`,
 * each in process, and reports its VmHWM. Linux only (procfs).
 *
 * A BERT-base step takes tens of seconds on two cores, so its rows can be run one at a
 * time: TRAIN_MEMORY_ROWS=diff,infer (default: all), TRAIN_MEMORY_STEPS (default 20 on the
 * shipped base, 2 on BERT-base), TRAIN_MEMORY_HOME=DIR keeps the imported base (and the
 * packs the infer row reads) between calls, TRAIN_MEMORY_ARENA=0|1 overrides the trainer's
 * choice of ONNX Runtime's CPU arena, TRAIN_MEMORY_STEPS_PER_RUN its steps per run (multi-step.ts), TRAIN_MEMORY_MOMENTS=float32|float16 the method's
 * default Adam moment type (train/methods.ts's defaultMoments). Rows measured earlier stay in the results file
 * until measured again.
 * Run alone: `npx tsx bench/train-memory.ts` → bench/results/train-memory.json.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { runCli } from '../src-main/cli/run.js';
import { importDataset, loadTrainDev, type Dataset } from '../src-main/data/index.js';
import { listBaseIds } from '../src-main/model/base-store.js';
import { TOKEN_TABLE } from '../src-main/model/layers.js';
import { ensureShippedBase, loadBase } from '../src-main/model/registry.js';
import { encodePack } from '../src-main/packs/codec.js';
import { projectRoot } from '../src-main/paths.js';
import type { BaseModel, TaskSpec } from '../src-main/model/base.js';
import { MOMENT_TYPES, type MomentType } from '../src-main/train/adamw.js';
import { buildPhaseGraph, defaultMoments, methodPhases, type Method } from '../src-main/train/methods.js';
import { Trainer } from '../src-main/train/trainer.js';
import { DEFAULT_CONFIG } from '../src-main/train/train-config.js';
import { BERT_BASE_ID, writeBertBaseFolder } from '../support/bert-base-synth.js';
import { dataDir, writeSyntheticSentiment } from '../support/trainer-fixtures.js';
import { runIfMain } from './results-file.js';
import { mallocSettings } from './contenders.js';

type Row = Method | 'import' | 'infer';
interface Setup { base: string; rows: Row[]; steps: number; devRows?: number; results: string }

const SHIPPED: Setup = { base: 'use-lite-en', rows: ['bitfit', 'full', 'diff', 'diff-structured'], steps: 20, results: 'train-memory' };
/** Dev capped to 64 rows: an evaluation's memory does not grow with the rows (batches of 64), its time does. */
const BERT: Setup = { base: BERT_BASE_ID, rows: ['import', 'full', 'magnitude', 'diff', 'diff-structured', 'infer'], steps: 2, devRows: 64, results: 'train-memory-bert' };
const BATCH = 32;
const CHILD = '--measure-child';
const MiB = 2 ** 20;
/** The pack the infer row activates: the one the diff-structured row wrote. */
const packFile = (home: string, method: Method) => join(home, `bench-${method}.taskpack`);

/** VmRSS, VmHWM … of this process in bytes. */
function procStatus(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of readFileSync('/proc/self/status', 'utf8').matchAll(/^(Vm\w+):\s+(\d+) kB$/gm)) out[m[1]] = Number(m[2]) * 1024;
  return out;
}

/** SST-2 train/dev as a real run reads them; generated sentences where the data is absent. */
function trainingData(home: string, devRows?: number): { train: Dataset; dev: Dataset; source: string } {
  const glue = join(dataDir(), 'glue', 'SST-2');
  const cut = (d: Dataset) => (devRows && d.rows.length > devRows ? { ...d, rows: d.rows.slice(0, devRows) } : d);
  if (existsSync(join(glue, 'train.tsv'))) {
    const { train, dev } = loadTrainDev(join(glue, 'train.tsv'), join(glue, 'dev.tsv'), { seed: 1 });
    return { train, dev: cut(dev), source: 'SST-2 (GLUE) train + dev' };
  }
  const dir = mkdtempSync(join(home, 'data-'));
  return {
    train: importDataset(writeSyntheticSentiment(dir, 'train.tsv', 4000, 1)),
    dev: cut(importDataset(writeSyntheticSentiment(dir, 'dev.tsv', 800, 2))),
    source: 'generated sentences (SST-2 not found)',
  };
}

/** The child: one training run, its memory readings as one JSON line on stdout. */
async function measureTraining(method: Method, s: Setup, home: string): Promise<object> {
  const base = loadBase(home, s.base);
  const { train, dev, source } = trainingData(home, s.devRows);
  const loaded = procStatus().VmRSS;
  let steady = 0, stepsPeak = 0, jsBuffers = 0, firstStep = 0, stepSeconds = 0, evaluatedPeak = 0, projectedRss = 0, projectedPeak = 0;
  const moments = momentsOf(method);
  const trainer: Trainer = new Trainer({
    base, train, dev, runDir: join(home, 'runs', `${method}-${Date.now()}`),
    config: { ...DEFAULT_CONFIG, method, maxSteps: s.steps, batchSize: BATCH, moments },
    ...(process.env.TRAIN_MEMORY_ARENA ? { cpuArena: process.env.TRAIN_MEMORY_ARENA === '1' } : {}),
    ...(process.env.TRAIN_MEMORY_STEPS_PER_RUN ? { stepsPerRun: Number(process.env.TRAIN_MEMORY_STEPS_PER_RUN) } : {}),
    onEvent: (e) => {
      // Where a peak after the steps falls: the first phase's dev evaluation, the projection, or the phase after.
      if (e.kind === 'eval' && e.step === trainer.phaseSteps()) evaluatedPeak = procStatus().VmHWM;
      if (e.kind === 'projection') ({ VmRSS: projectedRss, VmHWM: projectedPeak } = procStatus());
      if (e.kind !== 'step') return;
      // Step time: from the first step's end to the first phase's last (no compile, no evaluation).
      if (e.step === 1) firstStep = performance.now();
      if (e.step !== trainer.phaseSteps()) return;
      stepSeconds = (performance.now() - firstStep) / 1000 / Math.max(1, e.step - 1);
      ({ VmRSS: steady, VmHWM: stepsPeak } = procStatus());
      jsBuffers = process.memoryUsage().arrayBuffers;
    },
  });
  const t0 = performance.now();
  const r = await trainer.run();
  if (r.status !== 'done') throw new Error(`${method}: the run did not finish`);
  const end = procStatus();
  if (s.base !== SHIPPED.base) writeFileSync(packFile(home, method), encodePack(r.pack));
  return {
    source, train_rows: train.rows.length, dev_rows: dev.rows.length, steps: r.steps, seconds: +((performance.now() - t0) / 1000).toFixed(1),
    step_seconds: +stepSeconds.toFixed(2), cpu_arena: process.env.TRAIN_MEMORY_ARENA ?? 'default', steps_per_run: process.env.TRAIN_MEMORY_STEPS_PER_RUN ?? 'default', malloc: mallocSettings(), moments, base_bytes: baseBytes(base.weights.values()), state_bytes: stateBytes(trainer.trained.base, train.task, method, moments), token_rows: trainer.trained.base.weights.get(TOKEN_TABLE)!.dims[0],
    loaded_bytes: loaded, steady_bytes: steady, steady_js_buffers_bytes: jsBuffers, steps_peak_bytes: stepsPeak,
    ...(projectedPeak ? { evaluated_peak_bytes: evaluatedPeak, projected_rss_bytes: projectedRss, projected_peak_bytes: projectedPeak } : {}), peak_bytes: end.VmHWM,
  };
}

const baseBytes = (ts: Iterable<{ data: Float32Array }>) => [...ts].reduce((a, t) => a + t.data.byteLength, 0);

function momentsOf(method: Method): MomentType {
  const m = process.env.TRAIN_MEMORY_MOMENTS ?? defaultMoments(method);
  if (!(MOMENT_TYPES as readonly string[]).includes(m)) throw new Error(`TRAIN_MEMORY_MOMENTS must be one of ${MOMENT_TYPES.join(', ')}, got '${m}'`);
  return m as MomentType;
}

/** Bytes of the first phase's training state: its trainables (float32 parameters), each with both Adam moments. */
function stateBytes(base: BaseModel, task: TaskSpec, method: Method, moments: MomentType): number {
  const { trainables } = buildPhaseGraph(base, task, method, methodPhases(method)[0], { weightDecay: DEFAULT_CONFIG.weightDecay });
  return (4 + 2 * (moments === 'float16' ? 2 : 4)) * trainables.reduce((a, t) => a + (t.shape as number[]).reduce((x, y) => x * y, 1), 0);
}

/** The child for `import` / `infer`: the CLI command in this process, its VmHWM. */
async function measureCommand(row: 'import' | 'infer', s: Setup, home: string): Promise<object> {
  const args = row === 'import'
    ? ['base', 'import', writeBertBaseFolder(mkdtempSync(join(tmpdir(), 'bert-base-folder-'))), '--id', s.base, '--json']
    : ['infer', '--pack', packFile(home, 'diff-structured'), '--text', 'a gripping, beautifully acted film', '--json'];
  const before = procStatus().VmHWM; // the folder's writing (one tensor at a time) is not the command's
  let out = '';
  const t0 = performance.now();
  const code = await runCli(args, { stdout: (t) => { out += t; }, stderr: (t) => process.stderr.write(t) }, { services: () => ({}) as never, env: { ...process.env, TASKPACK_HOME: home } });
  if (code !== 0) throw new Error(`${args.join(' ')} failed (${code})`);
  const end = procStatus();
  if (row === 'import') rmSync(args[2], { recursive: true, force: true });
  const weights = JSON.parse(readFileSync(join(home, 'bases', s.base, 'manifest.json'), 'utf8')).tensors as { dims: number[] }[];
  return { seconds: +((performance.now() - t0) / 1000).toFixed(1), base_bytes: 4 * weights.reduce((a, t) => a + t.dims.reduce((x, y) => x * y, 1), 0), before_bytes: before, peak_bytes: end.VmHWM, output: JSON.parse(out) };
}

/** Run the child for one row: this file again, under this process's loader flags (tsx or compiled). */
async function child(row: Row, s: Setup, home: string): Promise<Record<string, number | string>> {
  const file = fileURLToPath(import.meta.url);
  const { stdout } = await promisify(execFile)(process.execPath, [...process.execArgv, file, CHILD, row, s === BERT ? 'bert' : 'shipped', home], { maxBuffer: 16 * MiB });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

const mib = (b: number) => +(b / MiB).toFixed(1);

function summarise(row: Row, r: Record<string, number | string>): object {
  const base = r.base_bytes as number, peak = r.peak_bytes as number;
  if (row === 'import' || row === 'infer') return { seconds: r.seconds, peak_mib: mib(peak), peak_over_base: +(peak / base).toFixed(2) };
  const loaded = r.loaded_bytes as number, state = r.state_bytes as number;
  return {
    phases: methodPhases(row).length, steps: r.steps, seconds: r.seconds, step_seconds: r.step_seconds, cpu_arena: r.cpu_arena, malloc: r.malloc, moments: r.moments,
    loaded_mib: mib(loaded), steady_mib: mib(r.steady_bytes as number), steady_js_buffers_mib: mib(r.steady_js_buffers_bytes as number), first_phase_peak_mib: mib(r.steps_peak_bytes as number),
    ...(r.projected_peak_bytes ? { evaluated_peak_mib: mib(r.evaluated_peak_bytes as number), projected_rss_mib: mib(r.projected_rss_bytes as number), projected_peak_mib: mib(r.projected_peak_bytes as number) } : {}), peak_mib: mib(peak),
    state_mib: mib(state), state_share_of_peak: +(state / peak).toFixed(2), token_rows: r.token_rows,
    peak_over_base: +(peak / base).toFixed(2), training_over_base: +((peak - loaded) / base).toFixed(2),
  };
}

/** The rows asked for (TRAIN_MEMORY_ROWS), in the setup's order. */
function wantedRows(s: Setup): Row[] {
  const asked = process.env.TRAIN_MEMORY_ROWS?.split(',').map((x) => x.trim()).filter(Boolean);
  for (const r of asked ?? []) if (!(s.rows as string[]).includes(r)) throw new Error(`TRAIN_MEMORY_ROWS: '${r}' is not a row of ${s.results} (${s.rows.join(', ')})`);
  return asked ? s.rows.filter((r) => asked.includes(r)) : s.rows;
}

/** The rows of an earlier results file of this bench (kept until measured again). */
function earlierRows(s: Setup): Record<string, object> {
  const path = join(projectRoot(), 'bench', 'results', `${s.results}.json`);
  if (!existsSync(path)) return {};
  try { return JSON.parse(readFileSync(path, 'utf8')).result?.runs ?? {}; } catch { return {}; }
}

async function runSetup(s: Setup): Promise<object> {
  if (!existsSync('/proc/self/status')) return { skipped: 'no /proc/self/status (Linux only)' };
  const keep = process.env.TRAIN_MEMORY_HOME;
  const home = keep ?? mkdtempSync(join(tmpdir(), 'bench-train-memory-'));
  mkdirSync(home, { recursive: true });
  try {
    if (s === SHIPPED) ensureShippedBase(home); // converted once here, so no child's peak includes the conversion
    const rows = wantedRows(s);
    const runs: Record<string, object> = s === BERT ? earlierRows(s) : {};
    let common: Record<string, number | string> = {};
    for (const row of rows) {
      if (s === BERT && row !== 'import' && !listBaseIds(home).includes(s.base)) {
        console.error(`  train-memory: importing ${s.base} (not measured: 'import' is not among the rows)…`);
        await child('import', s, home);
      }
      console.error(`  train-memory: ${row}…`);
      const r = await child(row, s, home);
      if (row !== 'import' && row !== 'infer') common = { source: r.source, train_rows: r.train_rows, dev_rows: r.dev_rows, base_mib: mib(r.base_bytes as number) };
      runs[row] = { ...summarise(row, r), measured: new Date().toISOString() };
      console.error(`  train-memory: ${row}: ${JSON.stringify(runs[row])}`);
    }
    return {
      base: s.base, provider: 'cpu', batch: BATCH, steps_per_phase: Number(process.env.TRAIN_MEMORY_STEPS ?? s.steps),
      config: `DEFAULT_CONFIG (maxLength 128, dev evaluation at each phase end${s.devRows ? `, dev capped to ${s.devRows} rows` : ''})`,
      readings: 'loaded = VmRSS before training; steady = VmRSS at the first phase\'s last step; steady_js_buffers = process.memoryUsage().arrayBuffers then; first_phase_peak = VmHWM then; peak = VmHWM of the run; state = the first phase\'s parameters and Adam moments; training_over_base = (peak − loaded) / base weight bytes; step_seconds = the first phase\'s steps after its first; import/infer: VmHWM of the command run in process',
      ...common, runs,
    };
  } finally {
    if (!keep) rmSync(home, { recursive: true, force: true });
  }
}

export const run = () => runSetup(SHIPPED);
export const runBert = () => runSetup(BERT);

if (process.argv[2] === CHILD && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [row, which, home] = process.argv.slice(3) as [Row, string, string];
  const s = which === 'bert' ? BERT : SHIPPED;
  const steps = Number(process.env.TRAIN_MEMORY_STEPS ?? s.steps);
  const r = row === 'import' || row === 'infer' ? await measureCommand(row, s, home) : await measureTraining(row, { ...s, steps }, home);
  console.log(JSON.stringify(r));
} else await runIfMain(import.meta.url, 'train-memory', run);
