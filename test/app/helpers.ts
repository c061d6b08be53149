/** Shared fixtures for the app-shell tests: fake services, raw HTTP, running the real CLI. */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { TRAIN_METHODS, type AppInfo, type BaseSummary, type DataChoices, type DataPreview, type DoctorReport, type PackList, type PackSummary, type PredictResult, type RunStatus, type StorageComparison, type TrainMethod } from '../../src-main/ipc/contract.js';
import type { Services, TrainStart } from '../../src-main/ipc/services.js';
import { trustSettings, withKey, withoutKey, withRequireSignature, type TrustFile } from '../../src-main/packs/trust.js';
import { projectRoot } from '../../src-main/paths.js';

/** Estimated training peaks: `bytes` for every method, 1 PiB for `full` (past any machine's free memory: the wizard warns). */
const fakePeaks = (bytes: number) => Object.fromEntries(TRAIN_METHODS.map((m) => [m, m === 'full' ? 2 ** 50 : bytes])) as Record<TrainMethod, number>;

export const FAKE_REPORT: DoctorReport = {
  ort: '1.30.0',
  node: '20.20.2',
  gradientCheck: { relErr: 2.4e-9, ok: true },
  providers: [
    { name: 'cpu', ok: true, stepMs: 12.34, maxRelErr: 3.1e-7 },
    { name: 'webgpu', ok: false, reason: 'no WebGPU adapter on this machine' },
  ],
};

export const FAKE_APP_INFO: AppInfo = {
  name: 'TaskPack Studio',
  version: '0.1.0',
  node: '20.20.2',
  platform: 'linux',
  arch: 'x64',
  electron: null,
  chrome: null,
};

export const FAKE_PACK: PackSummary = {
  id: '0123456789abcdef', name: 'sst2 sentiment', type: 'classification', labels: ['negative', 'positive'], inputColumns: ['sentence'], method: 'diff-structured',
  bytes: 107_317, nnz: 34_879, module: null, devMetrics: { accuracy: 0.852 }, baseId: 'use-lite-en', signed: false,
  signature: 'unsigned', signer: null, installedAt: '2026-12-06T10:00:00.000Z',
};

/** What the fake store makes of an uploaded file: its text is a JSON PackSummary (or it is refused). */
function fakeDecode(fileName: string, bytes: Uint8Array): PackSummary {
  try {
    return { ...FAKE_PACK, ...JSON.parse(Buffer.from(bytes).toString('utf8')) } as PackSummary;
  } catch {
    throw new Error(`${fileName} is not a usable task pack: not a task pack (BAD_MAGIC)`);
  }
}

/** Per pack name, its packs as measured points (bytes as given) and an estimated full copy; a point's total is base + N × bytes. */
export function fakeStorage(tasks: number, packs: PackSummary[]): StorageComparison {
  const base = { id: 'use-lite-en', parameters: 6_975_744, bytes: 27_902_976 };
  const names = [...new Set(packs.map((p) => p.name))];
  const full = { method: 'full', budget: null, bytesPerTask: base.bytes + 2056, totalBytes: tasks * (base.bytes + 2056), metric: null, estimated: true, packId: null, frontier: false };
  const group = (name: string | null) => ({
    name, labels: [], base, metric: 'accuracy' as const,
    points: [...packs.filter((p) => p.name === name).map((p) => ({
      method: p.method, budget: null, bytesPerTask: p.bytes, totalBytes: base.bytes + tasks * p.bytes, metric: p.devMetrics.accuracy ?? null, estimated: false, packId: p.id, frontier: true,
    })), full],
  });
  return { tasks, groups: names.length ? names.map(group) : [group(null)], unsized: [] };
}

/**
 * Fake services: the doctor answers FAKE_REPORT; packs live in memory (an uploaded file's
 * text is a JSON PackSummary); predictions say 'positive' when the text has "good", with the
 * text's length in the probabilities so a test can tell rows apart.
 */
type FakeServices = Services & { doctorCalls: number; packs: PackSummary[]; active: string | null; runs: Map<string, RunStatus>; started: TrainStart[]; inspected: { fileName: string; bytes: Uint8Array }[]; trust: TrustFile | undefined };

const FAKE_TOTAL_STEPS = 40;

/** A fake run moves 10 steps per status poll; the L0 phase to step 20, then the fixed-mask phase. */
function advanceFakeRun(run: RunStatus, services: FakeServices): RunStatus {
  if (run.state !== 'running') return run;
  const step = Math.min(FAKE_TOTAL_STEPS, (run.progress?.step ?? 0) + 10);
  const phase = step <= 20 ? 'l0' : 'mask';
  const losses: [number, number][] = Array.from({ length: 10 }, (_, i) => [step - 9 + i, 0.7 / (1 + (step - 9 + i) / 10)]);
  const next: RunStatus = {
    ...run, losses, nextCursor: step,
    progress: { phase, phaseIndex: phase === 'l0' ? 0 : 1, step, totalSteps: FAKE_TOTAL_STEPS, epoch: 1, loss: losses[9][1], taskLoss: losses[9][1],
      ...(phase === 'l0' ? { expectedNonzeros: 1e6 / step } : {}), lr: 1e-3, examplesPerSecond: 120, etaSeconds: (FAKE_TOTAL_STEPS - step) / 4 },
    evals: step === 20 ? [...run.evals, { phase: 'l0', step, metrics: { accuracy: 0.81 }, nonzeros: 52_000 }] : run.evals,
    projection: step > 20 ? { nonzeroBefore: 52_000, total: 6_975_744, nnz: 34_879, effectiveSparsityBefore: 52_000 / 6_975_744 } : run.projection,
  };
  if (step === FAKE_TOTAL_STEPS) {
    const pack: PackSummary = { ...FAKE_PACK, id: `${run.runId.slice(-4)}000000000000`, name: run.taskName, method: run.method, devMetrics: { accuracy: 0.842 } };
    services.packs.push(pack);
    Object.assign(next, { state: 'done', evals: [...next.evals, { phase: 'mask', step, metrics: { accuracy: 0.842 }, nonzeros: 34_879 }],
      result: { packId: pack.id, devMetrics: pack.devMetrics, nonzeros: 34_879, bytes: pack.bytes, seconds: 12.5 } });
  }
  services.runs.set(run.runId, next);
  return next;
}

export function fakeServices(overrides: Partial<Services> = {}): FakeServices {
  const services: FakeServices = {
    doctorCalls: 0,
    packs: [] as PackSummary[],
    active: null as string | null,
    runs: new Map<string, RunStatus>(),
    started: [] as TrainStart[],
    inspected: [] as { fileName: string; bytes: Uint8Array }[],
    trust: undefined,
    appInfo: () => FAKE_APP_INFO,
    async runDoctor() {
      services.doctorCalls++;
      return FAKE_REPORT;
    },
    async listPacks(): Promise<PackList> {
      return { packs: [...services.packs], active: services.active };
    },
    async installPack(fileName: string, bytes: Uint8Array) {
      const pack = fakeDecode(fileName, bytes);
      const alreadyInstalled = services.packs.some((p) => p.id === pack.id);
      if (!alreadyInstalled) services.packs.push(pack);
      return { pack, alreadyInstalled };
    },
    async uninstallPack(id: string) {
      const pack = findPack(services.packs, id);
      services.packs = services.packs.filter((p) => p !== pack);
      if (services.active === pack.id) services.active = null;
      return pack;
    },
    async exportPack(id: string) {
      const pack = findPack(services.packs, id);
      return { fileName: `${pack.name.replace(/\s+/g, '-')}.taskpack`, bytes: new TextEncoder().encode(JSON.stringify(pack)) };
    },
    async importUploadedBase() {
      throw new Error('base import runs through the real services (test/app/renderer-bases-e2e.test.ts)');
    },
    async importBaseFolder() {
      throw new Error('a folder dialog needs the desktop app');
    },
    async removeBase() {
      throw new Error('base removal runs through the real services (test/app/renderer-bases-e2e.test.ts)');
    },
    async exportModel() {
      throw new Error('model export runs through the real services (test/app/renderer-export-e2e.test.ts)');
    },
    async activatePack(id: string) {
      const pack = findPack(services.packs, id);
      const loaded = services.active !== pack.id;
      services.active = pack.id;
      return { id: pack.id, baseId: pack.baseId, swapMs: 1.25, loaded };
    },
    async predict(id: string, inputs: { text: string; pair?: string }[]): Promise<PredictResult> {
      const pack = findPack(services.packs, id);
      services.active = pack.id;
      return {
        id: pack.id, type: pack.type, labels: pack.labels,
        predictions: inputs.map(({ text }) => {
          if (pack.type === 'regression') return { score: text.length / 10 };
          const p = /good/.test(text) ? 0.9 : 0.2;
          return { label: p > 0.5 ? pack.labels[1] : pack.labels[0], probabilities: [1 - p, p] };
        }),
      };
    },
    /** A TSV "text<TAB>label" with a header: accuracy of the fake predictions. */
    async evaluatePack(id: string, file: { fileName: string; bytes: Uint8Array }) {
      const pack = findPack(services.packs, id);
      const rows = Buffer.from(file.bytes).toString('utf8').split('\n').slice(1).filter((l) => l.trim()).map((l) => l.split('\t'));
      if (rows.some((r) => r.length !== 2)) throw new Error(`${file.fileName}:2: expected 2 tab-separated columns`);
      const right = rows.filter(([text, label]) => label === pack.labels[/good/.test(text) ? 1 : 0]).length;
      return { id: pack.id, metrics: { accuracy: right / rows.length }, n: rows.length };
    },
    async packAnatomy(): Promise<never> {
      throw new Error('the fake services hold no pack contents (test/infer/pack-services.test.ts runs the real ones)');
    },
    async comparePacks(): Promise<never> {
      throw new Error('the fake services hold no pack contents');
    },
    // The trust policy in memory, changed by the real functions.
    async trustSettings() {
      return trustSettings(services.trust);
    },
    async addTrustedKey(name: string, publicKey: string) {
      return trustSettings((services.trust = withKey(services.trust, name, publicKey)));
    },
    async removeTrustedKey(fingerprint: string) {
      return trustSettings((services.trust = withoutKey(services.trust, fingerprint)));
    },
    async requireSignature(required: boolean) {
      return trustSettings((services.trust = withRequireSignature(services.trust, required)));
    },
    async compareStorage(tasks?: number) {
      return fakeStorage(tasks ?? Math.max(1, services.packs.length), services.packs);
    },
    async listBases(): Promise<BaseSummary[]> {
      return [
        { id: 'use-lite-en', displayName: 'Universal Sentence Encoder Lite (English)', architecture: 'use-lite', shipped: true, installed: true, parameters: 6_975_744, trainingPeakBytes: fakePeaks(0.5e9), fingerprint: 'f'.repeat(64), layers: 2, bytes: 27_902_976, packs: [] },
        { id: 'bert-mini', displayName: 'bert-mini', architecture: 'bert', shipped: false, installed: true, parameters: 11_170_560, trainingPeakBytes: fakePeaks(0.6e9), fingerprint: 'b'.repeat(64), layers: 4, bytes: 44_682_240, packs: [] },
      ];
    },
    /** A TSV with a header; the first column is the text, the last the label unless chosen. */
    async inspectData(file: { fileName: string; bytes: Uint8Array }, choices: DataChoices): Promise<DataPreview> {
      services.inspected.push(file);
      const text = Buffer.from(file.bytes).toString('utf8');
      if (/^bad$/m.test(text)) throw new Error(`${file.fileName}, line 3: expected 2 tab-separated columns (as the header), found 1`);
      const [header, ...lines] = text.trimEnd().split('\n').map((l) => l.split('\t'));
      const col = (name: string | undefined, fallback: number) => (name === undefined ? fallback : header.indexOf(name));
      const t = col(choices.textCol, 0), l = col(choices.labelCol, header.length - 1);
      const p = choices.pairCol === undefined || choices.pairCol === 'none' ? -1 : header.indexOf(choices.pairCol);
      const taskType = choices.taskType ?? 'classification';
      const labels = taskType === 'classification' ? [...new Set(lines.map((r) => r[l]))].sort() : [];
      const counts = Object.fromEntries(labels.map((x) => [x, lines.filter((r) => r[l] === x).length]));
      return {
        format: 'tsv', encoding: 'utf-8', encodingNote: null, header: true, glue: choices.glue ?? null, columns: header,
        chosen: { text: header[t], pair: p >= 0 ? header[p] : null, label: header[l] }, taskType, labels, rows: lines.length, counts,
        sample: lines.slice(0, 5).map((r) => ({ text: r[t], pair: p >= 0 ? r[p] : null, label: r[l] })),
      };
    },
    async startTraining(request: TrainStart) {
      const text = Buffer.from(request.train.bytes).toString('utf8');
      if (/^bad$/m.test(text)) throw new Error(`${request.train.fileName}, line 3: expected 2 tab-separated columns (as the header), found 1`);
      services.started.push(request);
      const runId = `run-${String(services.runs.size + 1).padStart(4, '0')}`;
      const run: RunStatus = {
        runId, taskName: request.taskName, method: request.method, state: 'running', rows: { train: 900, dev: 100 }, progress: null, losses: [],
        nextCursor: 0, evals: [], projection: null, device: 'cpu', result: null, stoppedAtStep: null, error: null, warnings: [], explore: null,
      };
      services.runs.set(runId, run);
      return run;
    },
    async compareMethods(): Promise<never> {
      throw new Error('compare methods runs through the real services (test/app/renderer-compare-e2e.test.ts)');
    },
    async compareStatus(): Promise<never> {
      throw new Error('compare methods runs through the real services');
    },
    async trainingStatus(runId: string) {
      return advanceFakeRun(fakeRun(services, runId), services);
    },
    async cancelTraining(runId: string) {
      const run = fakeRun(services, runId);
      const cancelled: RunStatus = { ...run, state: 'cancelled', stoppedAtStep: run.progress?.step ?? 0, losses: [] };
      services.runs.set(runId, cancelled);
      return cancelled;
    },
    async resumeTraining(runId: string) {
      const resumed: RunStatus = { ...fakeRun(services, runId), state: 'running', stoppedAtStep: null };
      services.runs.set(runId, resumed);
      return resumed;
    },
    async listTraining() {
      return [...services.runs.values()].reverse().map((r) => ({ ...r, diskBytes: 1_234_567 }));
    },
    async removeTraining(runId: string) {
      if (fakeRun(services, runId).state === 'running') throw new Error(`run ${runId} is running: cancel it first`);
      services.runs.delete(runId);
    },
    /** Explores at once: a point per target, accuracy rising with the budget. */
    async exploreSparsity(runId: string, targets: number[]) {
      const run = fakeRun(services, runId);
      const points = targets.map((t, i) => ({
        sparsity: t, nnz: Math.ceil(t * 6_975_744), total: 6_975_744, packBytes: Math.round(3.5 * t * 6_975_744), metrics: { accuracy: 0.8 + i / 100 }, seconds: 4, installedPackId: null,
      }));
      const explored: RunStatus = { ...run, losses: [], explore: { state: 'done', targets, current: null, points, error: null } };
      services.runs.set(runId, explored);
      return explored;
    },
    async installExplored(runId: string, sparsity: number) {
      const run = fakeRun(services, runId);
      const point = run.explore?.points.find((p) => p.sparsity === sparsity);
      if (!point) throw new Error(`run ${runId} has no explored pack at sparsity ${sparsity}`);
      const pack: PackSummary = { ...FAKE_PACK, id: `e${String(services.packs.length).padStart(15, '0')}`, name: run.taskName, nnz: point.nnz, bytes: point.packBytes, devMetrics: point.metrics };
      services.packs.push(pack);
      const updated: RunStatus = { ...run, losses: [], explore: { ...run.explore!, points: run.explore!.points.map((p) => (p === point ? { ...p, installedPackId: pack.id } : p)) } };
      services.runs.set(runId, updated);
      return updated;
    },
    ...overrides,
  };
  return services;
}

function fakeRun(services: FakeServices, runId: string): RunStatus {
  const run = services.runs.get(runId);
  if (!run) throw new Error(`no run '${runId}'`);
  return run;
}

function findPack(packs: PackSummary[], id: string): PackSummary {
  const pack = packs.find((p) => p.id.startsWith(id));
  if (!pack) throw new Error(`no installed pack '${id}' (see 'taskpack pack list')`);
  return pack;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** node:http rather than fetch: fetch forbids setting Host, which these tests must forge. */
export function rawRequest(
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer; chunked?: boolean },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: `127.0.0.1:${port}`, ...options.headers };
    if (options.body !== undefined && !options.chunked) headers['content-length'] = String(Buffer.byteLength(options.body));
    const req = request({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** True when this test file runs compiled (dist/test) rather than from source under tsx. */
export const RUNNING_COMPILED = import.meta.url.endsWith('.js');

/** argv prefix that runs the real CLI: the bin when compiled, the TypeScript entry otherwise. */
export function cliCommand(): string[] {
  const root = projectRoot();
  return RUNNING_COMPILED ? [join(root, 'bin', 'taskpack.js')] : ['--import', 'tsx', join(root, 'src-main', 'cli', 'main.ts')];
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runRealCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...cliCommand(), ...args], {
      cwd: projectRoot(),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Non-empty lines of a stream's text. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}
