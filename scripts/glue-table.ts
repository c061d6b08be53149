/**
 * The side-by-side GLUE table of docs/results.md (issue 25): every method on every task for
 * several seeds, each cell one `taskpack train` run at the CLI's defaults, then the table.
 *
 *   node dist/scripts/glue-table.js run --glue ../shared/data/glue --home DIR \
 *     [--tasks CoLA,RTE,…] [--methods full,magnitude,diff,diff-structured] [--seeds 1,2,3] [--jobs 2] \
 *     [--variant 'NAME=--method M --flag value …' …]
 *   node dist/scripts/glue-table.js report --home DIR [--tasks …] [--methods …] [--seeds …]
 *
 * `run` is resumable: a cell whose run wrote its result.json is skipped, one cut short goes on
 * from its last checkpoint (the run id is `<task>-<method>-s<seed>`), so a grid of many hours
 * can span sittings (each one's seconds go to DIR/grid/<id>.sittings, and the report sums them). Each cell also records the commit and the machine's load beside its
 * result (DIR/grid/<id>.json) and its progress (DIR/grid/<id>.log: each dev evaluation). Cells run niced, `--jobs` at a time,
 * each with the machine's cores shared out (TASKPACK_THREADS = cores / jobs, unless set): two
 * runs with ONNX Runtime's default of a thread per core each contend for the same cores (two MRPC
 * runs side by side on 2 cores: 1.3 × the wall-clock of one thread each, the same packs). QNLI trains on the
 * dev-derived split of its dev.tsv (GLUE's QNLI train set is not in the data).
 * A `--variant` is a named set of `taskpack train` options that `--methods` can then list
 * beside the methods (an ablation's rows in the same table). `report`
 * prints a markdown table: each seed's score, mean ± sample standard deviation, δ's nonzeros
 * before the projection, wall-clock, and the issue's two goals for the diff methods.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GLUE_TASK_METRICS, isGlueTask } from '../src-main/data/glue-tasks.js';
import { writeFileAtomic } from '../src-main/durable/atomic.js';
import { projectRoot } from '../src-main/paths.js';

export const TABLE_TASKS = ['CoLA', 'RTE', 'MRPC', 'STS-B', 'SST-2', 'QNLI'] as const;
export const TABLE_METHODS = ['full', 'magnitude', 'diff', 'diff-structured'] as const;

export interface Cell { task: string; method: string; seed: number }
export const cellId = (c: Cell) => `${c.task}-${c.method}-s${c.seed}`;

/** The cells in the order they run: task by task, so that a grid cut short leaves whole tasks. */
export function cells(tasks: string[], methods: string[], seeds: number[]): Cell[] {
  return tasks.flatMap((task) => seeds.flatMap((seed) => methods.map((method) => ({ task, method, seed }))));
}

/** Named option sets: `NAME=--method M --flag value …` → { NAME: [options] }. */
export function parseVariants(specs: string[]): Record<string, string[]> {
  const variants: Record<string, string[]> = {};
  for (const spec of specs) {
    const m = /^([A-Za-z0-9][\w.+-]*)=(.+)$/.exec(spec.trim());
    if (!m) throw new Error(`--variant '${spec}': expected NAME=--method M [--flag value …]`);
    const args = m[2].trim().split(/\s+/);
    if (!args.includes('--method')) throw new Error(`--variant ${m[1]}: its options must name a --method`);
    variants[m[1]] = args;
  }
  return variants;
}

/** `taskpack train`'s arguments for a cell: its method, or the variant of that name. */
export function trainArgs(glue: string, c: Cell, out: string, variants: Record<string, string[]> = {}): string[] {
  const files = c.task === 'QNLI' ? ['--train', join(glue, 'QNLI', 'dev.tsv')] : ['--train', join(glue, c.task, 'train.tsv'), '--dev', join(glue, c.task, 'dev.tsv')];
  const method = variants[c.method] ?? ['--method', c.method];
  return ['train', ...files, ...method, '--seed', String(c.seed), '--run-id', cellId(c), '--out', out, '--json'];
}

interface RunResult { method: string; metrics: Record<string, number>; projection?: { nonzeroBefore: number; total: number }; steps: number; totalSeconds: number }
interface CellRecord { commit: string; loadBefore: number[]; loadAfter: number[]; threads: string; command: string[] }

const resultPath = (home: string, c: Cell) => join(home, 'runs', cellId(c), 'result.json');
const recordPath = (home: string, c: Cell) => join(home, 'grid', `${cellId(c)}.json`);
/** One JSON line per sitting of a cell (a run, or a stretch of one, up to its end or its cancel). */
const sittingsPath = (home: string, c: Cell) => join(home, 'grid', `${cellId(c)}.sittings`);
interface Sitting { commit: string; seconds: number; exit: number }

/** A cell's sittings so far (none for cells run before sittings were kept). */
function sittingsOf(home: string, c: Cell): Sitting[] {
  const p = sittingsPath(home, c);
  return existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Sitting) : [];
}

async function runGrid(glue: string, home: string, todo: Cell[], jobs: number, variants: Record<string, string[]>): Promise<void> {
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: projectRoot() }).toString().trim();
  if (execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: projectRoot() }).toString().trim()) throw new Error(`${projectRoot()} has uncommitted changes: run the grid from a clean checkout (a git worktree), so that each cell's commit says what code it ran`);
  const pending = todo.filter((c) => !existsSync(resultPath(home, c)));
  console.log(`${todo.length - pending.length} of ${todo.length} cells done; running ${pending.length}, ${jobs} at a time`);
  mkdirSync(join(home, 'grid'), { recursive: true });
  const threads = process.env.TASKPACK_THREADS ?? String(Math.max(1, Math.floor(availableParallelism() / jobs)));
  let failed = 0, stopped = false;
  // Ctrl-C or a kill stops the grid: each running cell is cancelled as `taskpack train` is on
  // Ctrl-C (a checkpoint, so the next `run` resumes it) and no new one starts.
  const running = new Set<ChildProcess>();
  const stop = () => { stopped = true; for (const child of running) child.kill('SIGINT'); };
  process.once('SIGINT', stop).once('SIGTERM', stop);
  const worker = async () => {
    for (let c = pending.shift(); c && !stopped; c = pending.shift()) {
      const cell = c;
      const command = trainArgs(glue, cell, join(home, 'grid', `${cellId(cell)}.taskpack`), variants);
      const loadBefore = loadavg();
      const started = Date.now();
      const code = await new Promise<number>((done) => {
        const child = spawn('nice', ['-n', '10', process.execPath, join(projectRoot(), 'bin', 'taskpack.js'), ...command], { env: { ...process.env, TASKPACK_HOME: home, TASKPACK_THREADS: threads }, stdio: ['ignore', 'ignore', 'pipe'], detached: true }); // its own process group: a terminal's Ctrl-C reaches it once, through stop()
        running.add(child);
        let tail = '';
        const log = createWriteStream(join(home, 'grid', `${cellId(cell)}.log`), { flags: 'a' }); // the run's progress, appended across resumptions
        child.stderr.pipe(log);
        child.stderr.on('data', (d: Buffer) => { tail = (tail + d.toString()).slice(-2000); });
        child.on('close', (exit) => { running.delete(child); if (exit !== 0 && !stopped) console.error(`${cellId(cell)} failed (exit ${exit}):\n${tail}`); done(exit ?? 1); });
      });
      const seconds = Math.round((Date.now() - started) / 1000);
      appendFileSync(sittingsPath(home, cell), `${JSON.stringify({ commit, seconds, exit: code } satisfies Sitting)}\n`);
      if (stopped) break;
      if (code !== 0) { failed++; continue; }
      const record: CellRecord = { commit, loadBefore, loadAfter: loadavg(), threads, command };
      writeFileAtomic(recordPath(home, cell), `${JSON.stringify(record)}\n`);
      console.log(`${cellId(cell)}: ${JSON.stringify(readResult(home, cell)?.metrics)} in ${seconds} s`);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  process.off('SIGINT', stop).off('SIGTERM', stop);
  if (stopped) throw new Error('stopped: the cells that were running keep their checkpoints; run again to resume');
  if (failed) throw new Error(`${failed} cell(s) failed; run again to retry them`);
}

const readResult = (home: string, c: Cell): RunResult | null => (existsSync(resultPath(home, c)) ? (JSON.parse(readFileSync(resultPath(home, c), 'utf8')) as RunResult) : null);

/** Mean and sample standard deviation (0 for one value). */
export function meanSd(xs: number[]): { mean: number; sd: number } {
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd };
}

/** A finished cell's seconds: the sum over its sittings where it took more than one, else its run's own. */
function wallClock(home: string, c: Cell, r: RunResult | null): string {
  if (!r) return '·';
  const sittings = sittingsOf(home, c);
  return sittings.length > 1 ? `${sittings.reduce((a, x) => a + x.seconds, 0)} (${sittings.length} sittings)` : String(Math.round(r.totalSeconds));
}

/** The markdown table of the cells run so far, one section per task. */
export function report(home: string, tasks: string[], methods: string[], seeds: number[]): string {
  const out: string[] = [];
  const pct = (x: number) => (100 * x).toFixed(1);
  for (const task of tasks) {
    const metric = isGlueTask(task) ? GLUE_TASK_METRICS[task][0] : 'accuracy';
    const means = new Map<string, number>();
    const diffRows = new Set<string>(); // rows (methods or variants) whose runs are diff pruning
    const rows: string[] = [];
    for (const method of methods) {
      const results = seeds.map((seed) => readResult(home, { task, method, seed }));
      const scores = results.flatMap((r) => (r && metric in r.metrics ? [r.metrics[metric]] : []));
      if (!scores.length) continue;
      const { mean, sd } = meanSd(scores);
      if (scores.length === seeds.length) means.set(method, mean);
      if (results.some((r) => r?.method === 'diff' || r?.method === 'diff-structured')) diffRows.add(method);
      const commits = [...new Set(seeds.flatMap((seed) => { const p = recordPath(home, { task, method, seed }); return existsSync(p) ? [(JSON.parse(readFileSync(p, 'utf8')) as CellRecord).commit] : []; }))];
      const before = results.map((r) => (r?.projection ? `${(100 * r.projection.nonzeroBefore / r.projection.total).toFixed(2)} %` : '–'));
      rows.push(`| ${method} | ${results.map((r) => (r && metric in r.metrics ? pct(r.metrics[metric]) : '·')).join(' | ')} | ${scores.length === seeds.length ? `**${pct(mean)} ± ${pct(sd)}**` : `${pct(mean)} (${scores.length} of ${seeds.length})`} | ${before.join(', ')} | ${results.map((r, i) => wallClock(home, { task, method, seed: seeds[i] }, r)).join(', ')} | ${commits.join(', ')} |`);
    }
    if (!rows.length) continue;
    out.push(`### ${task} (${metric})`, '', `| method | ${seeds.map((s) => `seed ${s}`).join(' | ')} | mean ± sd | nonzero before projection | wall-clock (s) | commit |`, `| --- | ${seeds.map(() => '---:').join(' | ')} | ---: | --- | --- | --- |`, ...rows, '');
    const full = means.get('full'), magnitude = means.get('magnitude');
    for (const m of methods.filter((x) => diffRows.has(x) && means.has(x))) {
      const x = means.get(m)!;
      const goals = [full !== undefined ? `${pct(x - full)} against full (goal ≥ −0.5: ${x - full >= -0.005 - 1e-12 ? 'met' : 'missed'})` : null, magnitude !== undefined ? `${pct(x - magnitude)} against magnitude (goal ≥ 0: ${x >= magnitude ? 'met' : 'missed'})` : null].filter(Boolean);
      if (goals.length) out.push(`- ${m}: ${goals.join('; ')}`);
    }
    out.push('');
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { glue: { type: 'string' }, home: { type: 'string' }, tasks: { type: 'string', default: TABLE_TASKS.join(',') }, methods: { type: 'string', default: TABLE_METHODS.join(',') }, seeds: { type: 'string', default: '1,2,3' }, jobs: { type: 'string', default: '2' }, variant: { type: 'string', multiple: true, default: [] } },
  });
  const list = (s: string) => s.split(',').filter(Boolean);
  const tasks = list(values.tasks), methods = list(values.methods), seeds = list(values.seeds).map(Number);
  for (const t of tasks) if (!(TABLE_TASKS as readonly string[]).includes(t)) throw new Error(`--tasks: unknown task '${t}' (one of ${TABLE_TASKS.join(', ')})`);
  for (const s of seeds) if (!Number.isSafeInteger(s)) throw new Error(`--seeds: '${s}' is not a whole number`);
  if (!values.home) throw new Error('--home DIR is required: the TASKPACK_HOME the runs keep their state in');
  const home = resolve(values.home);
  const variants = parseVariants(values.variant);
  if (positionals[0] === 'run') {
    for (const m of methods) if (!(TABLE_METHODS as readonly string[]).includes(m) && !variants[m]) throw new Error(`--methods: '${m}' is neither one of ${TABLE_METHODS.join(', ')} nor a --variant`);
    if (!values.glue) throw new Error('run needs --glue DIR (../shared/data/glue)');
    const jobs = Number(values.jobs);
    if (!(Number.isInteger(jobs) && jobs >= 1)) throw new Error(`--jobs: '${values.jobs}' is not a positive whole number`);
    await runGrid(resolve(values.glue), home, cells(tasks, methods, seeds), jobs, variants);
  } else if (positionals[0] === 'report') console.log(report(home, tasks, methods, seeds));
  else throw new Error('usage: glue-table run|report --home DIR [--glue DIR] [--tasks …] [--methods …] [--seeds …] [--jobs N] [--variant NAME=OPTIONS …]');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    console.error(`glue-table: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  });
}
