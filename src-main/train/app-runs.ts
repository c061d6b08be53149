/**
 * Training runs started from the app (the finetune wizard): the data the user picked is
 * copied into the run's directory (the renderer hands over bytes, never paths), the job is
 * written beside it (`job.json`, as `taskpack train` writes it) and a TrainingWorker runs
 * it. The app polls a run's status: the newest progress, the loss curve since a cursor,
 * each dev evaluation, the projection, and at the end the installed pack. Cancel leaves a
 * checkpoint that `resume` continues from, bit for bit; so does a crash or a closed app,
 * from the last checkpoint (at most 5 minutes back).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { z } from 'zod';
import { readBaseManifest } from '../model/base-store.js';
import { defaultBaseId, shippedBases } from '../model/registry.js';
import type { PackEntry } from '../packs/store.js';
import { writeFileAtomic } from '../durable/atomic.js';
import { discardRunWithoutCheckpoint, hasCheckpoint, isRunId, lockRun, runDir, runsDir } from './checkpoint.js';
import { checkTargets } from './explore.js';
import { hasL0State } from './l0-state.js';
import { methodPhases } from './methods.js';
import type { ImportChoices } from '../data/inspect.js';
import type { FileBytes } from '../data/uploaded.js';
import type { Method } from './methods.js';
import { readRunJob, refuseFinishedRun, runResultPath, writeRunJob, type RunJob } from './run-job.js';
import type { RunStatus } from './run-status.js';
import { DEFAULT_CONFIG, methodDefaults, type TrainConfig } from './train-config.js';
import { TrainingWorker, type JobEvent } from './training-worker.js';

export interface StartRun {
  taskName: string;
  train: FileBytes;
  /** Without one, a seeded stratified 10 % of the training file. */
  dev?: FileBytes;
  method: Method;
  sparsity: number;
  epochs: number;
  seed: number;
  /** How to read the files (GLUE layout, task type, columns); detected where left out. */
  columns?: ImportChoices;
  /** An installed base's id; default: the shipped base. */
  baseId?: string;
  /** Default 'cpu'; 'webgpu' falls back to the CPU (the status's device says why) where no adapter works. */
  provider?: 'cpu' | 'webgpu';
  /** A module method's sizes (train-config.ts); each left out takes its default. */
  modules?: Partial<Pick<TrainConfig, 'rank' | 'loraAlpha' | 'loraTargets' | 'bottleneck'>>;
}

interface LiveRun {
  status: RunStatus;
  /** Explored packs by sparsity, until the user installs the ones they want. */
  explored?: Map<number, Uint8Array>;
  /** The data copies' paths and the names the user knows them by (for error messages). */
  names: [string, string][];
  losses: [number, number][];
  worker: TrainingWorker | null;
}

/** Most losses one status answer carries (the renderer asks again from nextCursor). */
const MAX_LOSSES_PER_STATUS = 5000;
/** How long quitting waits for running runs to checkpoint: a step of a BERT-base run on a laptop CPU fits. */
export const STOP_GRACE_MS = 30_000;

export class TrainingRuns {
  private readonly runs = new Map<string, LiveRun>();
  /** Called when a training run (not an explore job) ends: done, failed or cancelled (run-queue.ts starts the next). */
  onSettled: (runId: string) => void = () => {};

  /** `install` puts a finished run's pack into the store (and may refuse it: the run then fails with why). */
  constructor(readonly home: string, private readonly install: (bytes: Uint8Array) => PackEntry) {}

  start(request: StartRun): RunStatus {
    const runId = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`;
    const dir = runDir(this.home, runId);
    const names: [string, string][] = [];
    const baseId = request.baseId ?? defaultBaseId(); // the worker converts a shipped base on first use
    if (!shippedBases().some((b) => b.id === baseId)) readBaseManifest(this.home, baseId); // refuses a base that is not installed
    try {
      mkdirSync(join(dir, 'data'), { recursive: true });
      const save = (name: string, f: FileBytes) => {
        const path = join(dir, 'data', `${name}${dataExtension(f.fileName)}`);
        writeFileAtomic(path, f.bytes);
        names.push([path, f.fileName]);
        return path;
      };
      const job: RunJob = {
        baseId, trainPath: save('train', request.train), ...(request.dev ? { devPath: save('dev', request.dev) } : {}),
        columns: request.columns ?? {},
        config: {
          ...DEFAULT_CONFIG, ...methodDefaults(request.method), method: request.method, sparsity: request.sparsity, epochs: request.epochs, seed: request.seed,
          ...Object.fromEntries(Object.entries(request.modules ?? {}).filter(([, v]) => v !== undefined)),
        },
        provider: request.provider ?? 'cpu', taskName: request.taskName,
      };
      writeRunJob(dir, job);
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    return this.launch(runId, readRunJob(dir)!, names);
  }

  /** Continue a cancelled or interrupted run from its checkpoint. */
  resume(runId: string): RunStatus {
    const live = this.runs.get(runId);
    if (live?.worker) throw new Error(`run ${runId} is already running`);
    const job = readRunJob(runDir(this.home, runId));
    if (!job) throw new Error(`no run '${runId}'`);
    refuseFinishedRun(runDir(this.home, runId), runId, `its pack is ${this.onDisk(runId).result?.packId ?? 'made'}`);
    return this.launch(runId, job);
  }

  cancel(runId: string): RunStatus {
    const live = this.runs.get(runId);
    if (!live?.worker) throw new Error(`run ${runId} is not running`);
    live.worker.cancel();
    if (live.status.explore?.state === 'running') live.status.explore.state = 'cancelling';
    else live.status.state = 'cancelling';
    return this.status(runId);
  }

  /**
   * The sparsity explorer: from the run's finished L0 phase, project to each target and
   * finetune that mask for `steps` (default: an epoch, at most 200). A second call after a
   * cancel keeps the targets already done.
   */
  explore(runId: string, targets: number[], steps?: number): RunStatus {
    const dir = runDir(this.home, runId);
    const job = readRunJob(dir);
    if (!job) throw new Error(`no run '${runId}'`);
    if (methodPhases(job.config.method)[0] !== 'l0') throw new Error(`run ${runId} trained with ${job.config.method}, which has no L0 phase to explore (diff and diff-structured have one)`);
    if (!hasL0State(dir)) throw new Error(`run ${runId} has not finished its L0 phase`);
    checkTargets(targets);
    const live = this.runs.get(runId) ?? { status: this.onDisk(runId), names: [], losses: [], worker: null };
    if (live.worker) throw new Error(`run ${runId} is running`);
    // Refused (the run is busy in another process) before anything here changes.
    const worker = new TrainingWorker({ ...job, home: this.home, runDir: dir, explore: { targets, ...(steps !== undefined ? { steps } : {}) } }, (e) => this.record(live, e));
    this.runs.set(runId, live);
    live.status.explore = { state: 'running', targets, current: null, points: [], error: null };
    live.explored = new Map();
    live.worker = worker;
    const explore = live.status.explore;
    worker.outcome.then((outcome) => {
      if (outcome.status === 'cancelled') explore.state = 'cancelled';
      else if (outcome.status === 'explored') {
        for (const { point, pack } of outcome.points) live.explored!.set(point.sparsity, pack);
        explore.state = 'done';
      } else throw new Error(`the training worker answered '${outcome.status}' to an explore job`);
    }).catch((e: unknown) => {
      Object.assign(explore, { state: 'failed', error: e instanceof Error ? e.message.split('\n', 1)[0] : String(e) });
    }).finally(() => {
      explore.current = null;
      live.worker = null;
    });
    return this.status(runId);
  }

  /** Install the pack the explorer made at `sparsity`. */
  installExplored(runId: string, sparsity: number): RunStatus {
    const live = this.runs.get(runId);
    const bytes = live?.explored?.get(sparsity);
    const point = live?.status.explore?.points.find((p) => p.sparsity === sparsity);
    if (!bytes || !point) throw new Error(`run ${runId} has no explored pack at sparsity ${sparsity}`);
    point.installedPackId = this.install(bytes).id;
    return this.status(runId);
  }

  /**
   * The app is quitting: cancel every running run and wait until each has written its
   * checkpoint, for at most `graceMs`; a run still in its step then does not hold the
   * process (it resumes from its last checkpoint, at most 5 minutes back).
   */
  async stopAll(graceMs = STOP_GRACE_MS): Promise<void> {
    const running = [...this.runs.values()].filter((r) => r.worker);
    const workers = running.map((r) => r.worker!);
    for (const r of running) this.cancel(r.status.runId);
    const checkpointed = Promise.all(workers.map((w) => w.outcome.catch(() => undefined)));
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([
      checkpointed.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
    ]);
    clearTimeout(timer);
    // A step that outlasts the grace (a hung worker, a huge base) must not hold quitting.
    if (late) for (const w of workers) w.release();
  }

  /** The run's status, with the losses from `cursor` on. */
  status(runId: string, cursor = 0): RunStatus {
    const live = this.runs.get(runId);
    if (!live) return this.onDisk(runId);
    const losses = live.losses.slice(cursor, cursor + MAX_LOSSES_PER_STATUS);
    const explore = live.status.explore && { ...live.status.explore, current: live.status.explore.current && { ...live.status.explore.current }, points: live.status.explore.points.map((p) => ({ ...p })) };
    return { ...live.status, explore, evals: [...live.status.evals], warnings: [...live.status.warnings], losses, nextCursor: Math.min(live.losses.length, cursor + losses.length) };
  }

  /** Runs of this session, then the resumable runs an earlier session left (newest first), each with its disk use. */
  list(): RunStatus[] {
    const names = existsSync(runsDir(this.home)) ? readdirSync(runsDir(this.home)) : [];
    for (const n of names.filter((n) => n.startsWith(REMOVING))) rmSync(join(runsDir(this.home), n), { recursive: true, force: true });
    const ids = names.filter((id) => isRunId(id) && !this.runs.has(id));
    // Runs the app started (their data copied in), cut short or finished.
    const earlier = ids.sort().reverse()
      .filter((id) => hasCheckpoint(runDir(this.home, id)) && existsSync(join(runDir(this.home, id), 'data')))
      .map((id) => this.onDisk(id));
    return [...[...this.runs.keys()].reverse().map((id) => this.status(id, Number.MAX_SAFE_INTEGER)), ...earlier]
      .map((r) => ({ ...r, diskBytes: bytesUnder(runDir(this.home, r.runId)) }));
  }

  /**
   * Delete a run that is not running (here or in another process): its data copy,
   * checkpoints and L0 state, gigabytes for a large base. Its pack, if it made one, stays
   * installed. The directory is first renamed aside, so a crash mid-delete leaves no half
   * run to resume (list() finishes the delete).
   */
  remove(runId: string): void {
    if (this.runs.get(runId)?.worker) throw new Error(`run ${runId} is running: cancel it first`);
    const dir = runDir(this.home, runId);
    if (!isRunId(runId) || !existsSync(dir)) throw new Error(`no run '${runId}'`);
    const lock = lockRun(dir); // refused while a CLI run of the same directory holds it
    const aside = join(runsDir(this.home), `${REMOVING}${runId}`);
    try {
      renameSync(dir, aside);
    } finally {
      lock.release();
    }
    rmSync(aside, { recursive: true, force: true });
    this.runs.delete(runId);
  }

  private onDisk(runId: string): RunStatus {
    const dir = runDir(this.home, runId);
    const job = readRunJob(dir);
    if (!job) throw new Error(`no run '${runId}'`);
    const status = emptyStatus(runId, job);
    const result = existsSync(resultPath(this.home, runId)) ? resultSchema.safeParse(JSON.parse(readFileSync(resultPath(this.home, runId), 'utf8'))) : undefined;
    if (result?.success) return { ...status, state: 'done', result: result.data };
    return hasCheckpoint(dir) ? status : { ...status, state: 'failed', error: 'the run stopped before its first checkpoint' };
  }

  private launch(runId: string, job: RunJob, names: [string, string][] = []): RunStatus {
    const earlier = this.runs.get(runId);
    const live: LiveRun = { status: { ...emptyStatus(runId, job), state: 'running' }, names: earlier?.names ?? names, losses: earlier?.losses ?? [], worker: null };
    // Refused (the run is busy in another process) before the run is listed as running.
    const worker = new TrainingWorker({ ...job, home: this.home, runDir: runDir(this.home, runId) }, (e) => this.record(live, e));
    this.runs.set(runId, live);
    live.worker = worker;
    worker.outcome.then((outcome) => {
      if (outcome.status === 'cancelled') {
        Object.assign(live.status, { state: 'cancelled', stoppedAtStep: outcome.step });
      } else if (outcome.status === 'done') {
        const entry = this.install(outcome.packBytes);
        const result = { packId: entry.id, devMetrics: outcome.devMetrics, nonzeros: outcome.nonzeros, bytes: outcome.packBytes.length, seconds: outcome.seconds };
        writeFileAtomic(resultPath(this.home, runId), `${JSON.stringify(result)}\n`);
        Object.assign(live.status, { state: 'done', result });
      } else {
        throw new Error(`the training worker answered '${outcome.status}' to a training job`);
      }
    }).catch((e: unknown) => {
      const message = live.names.reduce((m, [path, name]) => m.split(path).join(name), e instanceof Error ? e.message.split('\n', 1)[0] : String(e));
      Object.assign(live.status, { state: 'failed', error: message });
      discardRunWithoutCheckpoint(runDir(this.home, runId));
    }).finally(() => {
      live.worker = null;
      this.onSettled(runId);
    });
    return this.status(runId);
  }

  private record(live: LiveRun, e: JobEvent): void {
    const s = live.status, explore = s.explore;
    if (e.kind === 'checkpoint-damaged') {
      s.warnings.push(`${e.checkpoint} was damaged (${e.error}); the run went on from the checkpoint before it`);
      return;
    }
    if (explore && (explore.state === 'running' || explore.state === 'cancelling')) {
      // An explore job's own steps are not the run's: its losses and evaluations stay out of the run's curve.
      if (e.kind === 'explore-target') explore.current = { index: e.index, count: e.count, sparsity: e.sparsity, step: 0, totalSteps: e.steps, etaSeconds: 0 };
      else if (e.kind === 'explore-step' && explore.current) Object.assign(explore.current, { step: e.step, totalSteps: e.totalSteps, etaSeconds: e.etaSeconds });
      else if (e.kind === 'explore-point') explore.points.push({ ...e.point, installedPackId: null });
      return;
    }
    switch (e.kind) {
      case 'loaded': s.rows = { train: e.trainRows, dev: e.devRows }; break;
      case 'step': {
        const { kind: _kind, ...progress } = e;
        s.progress = progress;
        // A resumed run repeats no step: drop what a cancelled attempt logged past its checkpoint.
        while (live.losses.length && live.losses[live.losses.length - 1][0] >= e.step) live.losses.pop();
        live.losses.push([e.step, e.loss]);
        break;
      }
      case 'eval': s.evals.push({ phase: e.phase, step: e.step, metrics: e.metrics, nonzeros: e.nonzeros }); break;
      case 'projection': s.projection = { nonzeroBefore: e.nonzeroBefore, total: e.total, nnz: e.nnz, effectiveSparsityBefore: e.effectiveSparsityBefore }; break;
      case 'device': s.device = `${e.provider}${e.fallback ? ` (${e.fallback})` : ''}`; break;
      default: break;
    }
  }
}

/** The prefix of a run directory being deleted (never a run id: those do not start with a dot). */
const REMOVING = '.removing-';

/** Bytes of the files under `dir` (0 where it is gone). */
function bytesUnder(dir: string): number {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((sum, e) => sum + statSync(join(e.parentPath, e.name)).size, 0);
}

/** `<runDir>/result.json`: written when the run's pack is installed, so a later session lists the run as done. */
const resultPath = (home: string, runId: string) => runResultPath(runDir(home, runId));
const resultSchema = z.object({
  packId: z.string(), devMetrics: z.record(z.string(), z.number()), nonzeros: z.number(), bytes: z.number(), seconds: z.number(),
});

function emptyStatus(runId: string, job: RunJob): RunStatus {
  return {
    runId, taskName: job.taskName ?? runId, method: job.config.method, state: 'interrupted', rows: null, progress: null, losses: [], nextCursor: 0,
    evals: [], projection: null, device: null, result: null, stoppedAtStep: null, error: null, warnings: [], explore: null,
  };
}

/** The picked file's extension when it names a format the importer knows; else none (the importer sniffs). */
function dataExtension(fileName: string): string {
  const ext = extname(fileName).toLowerCase();
  return ['.tsv', '.tab', '.csv', '.jsonl', '.ndjson', '.txt'].includes(ext) ? ext : '';
}
