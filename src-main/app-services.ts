/**
 * The real services behind the IPC handlers, the CLI and the dev host. No electron import:
 * Electron-only facts (versions) come from process.versions, which Electron fills in.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { importId, uploadPath } from './base-summaries.js';
import { fileSlug } from './export/app-export.js';
import { Downloads } from './export/downloads.js';
import type { PackHostWorker } from './infer/pack-host-worker.js';
import type { ImportChoices } from './data/inspect.js';
import type { AppInfo, CompareRun, DataChoices, PackSummary } from './ipc/contract.js';
import type { CompareStart, DoctorOptions, Services } from './ipc/services.js';
import { checkOverlapKinds, packAnatomy, packOverlap } from './packs/anatomy.js';
import { PackError } from './packs/errors.js';
import { PackStore, type PackEntry } from './packs/store.js';
import { keyFingerprint, withKey, withoutKey, withRequireSignature, type TrustSettings } from './packs/trust.js';
import { appVersion, userDataDir } from './paths.js';
import type { TrainingRuns } from './train/app-runs.js';
import type { MethodBudget, RunQueues, SharedRun } from './train/run-queue.js';
import { isGlueTask } from './data/glue-tasks.js';

/**
 * The self-test pulls in the graph, training and ONNX Runtime modules: load it on first use
 * so `taskpack serve`, `--help` and the window come up without paying for it.
 */
async function runDoctor(options: DoctorOptions = {}) {
  const { runDoctor: run } = await import('./selftest/doctor.js');
  return run({ log: options.log });
}

export function appInfo(): AppInfo {
  return {
    name: 'TaskPack Studio',
    version: appVersion(),
    node: process.versions.node,
    platform: process.platform,
    arch: process.arch,
    electron: process.versions.electron ?? null,
    chrome: process.versions.chrome ?? null,
  };
}

/** Concurrent callers share one run: the self-test is heavy and its answer is the same. */
function singleFlight<A extends unknown[], T>(task: (...args: A) => Promise<T>): (...args: A) => Promise<T> {
  let running: Promise<T> | undefined;
  return (...args) => {
    running ??= task(...args).finally(() => {
      running = undefined;
    });
    return running;
  };
}

/** The IPC's data choices for the importer (the schema has checked the GLUE name). */
function importChoices({ glue, ...rest }: DataChoices): ImportChoices {
  return { ...rest, ...(glue && isGlueTask(glue) ? { glue } : {}) };
}

/** The wizard's choices as a run takes them (the columns for the importer; unset ones left out). */
/** A run's method and budget: the module sizes travel together (each left out takes its default). */
function methodRun({ method, sparsity, rank, loraAlpha, loraTargets, bottleneck }: CompareRun): MethodBudget {
  return { method, sparsity, modules: { rank, loraAlpha, loraTargets, bottleneck } };
}

function sharedRun({ taskName, train, dev, epochs, seed, baseId, provider, ...choices }: CompareStart): SharedRun {
  return { taskName, train, ...(dev ? { dev } : {}), epochs, seed, columns: importChoices(choices), ...(baseId ? { baseId } : {}), ...(provider ? { provider } : {}) };
}

/** An installed pack for the UI, its signer weighed against the trust settings now. */
export function packSummary(p: PackEntry, trust: TrustSettings): PackSummary {
  const key = trust.keys.find((k) => k.publicKey === p.signer);
  return {
    id: p.id, name: p.task.name, type: p.task.type, labels: p.task.labels, inputColumns: p.task.inputColumns ?? null, method: p.method, bytes: p.bytes, nnz: p.nnz,
    module: p.module ?? null, devMetrics: p.devMetrics, baseId: p.base.id, signed: p.signer !== null,
    signature: p.signer === null ? 'unsigned' : !trust.listed ? 'unchecked' : key ? 'trusted' : 'untrusted',
    signer: p.signer === null ? null : { fingerprint: keyFingerprint(p.signer), name: key?.name ?? null },
    installedAt: p.installedAt,
  };
}

/**
 * The services over one user-data directory. Store changes (install, uninstall) are quick
 * file operations done here; the base in memory, predictions and the storage comparison
 * (which may convert the shipped base first) run in the pack-host worker, started on first use.
 */
export function createAppServices(home: string = userDataDir(), options: { pickFolder?: () => Promise<string | null> } = {}): Services {
  const store = new PackStore(home);
  const imports = join(home, 'imports');
  const summaryOf = async (id: string) => (await (await import('./base-summaries.js')).baseSummaries(home)).find((b) => b.id === id)!;
  // A finished run's pack goes into the store, where the Task packs page shows it.
  let training: Promise<TrainingRuns> | undefined;
  const runs = () => (training ??= import('./train/app-runs.js').then((m) => new m.TrainingRuns(home, (bytes) => store.install(bytes).entry)));
  let queueing: Promise<RunQueues> | undefined;
  const queues = () => (queueing ??= Promise.all([runs(), import('./train/run-queue.js')]).then(([r, m]) => new m.RunQueues(r)));
  let worker: Promise<PackHostWorker> | undefined;
  const host = () => (worker ??= import('./infer/pack-host-worker.js').then((m) => new m.PackHostWorker(home)));
  const downloads = new Downloads(join(home, 'exports'));
  return {
    appInfo,
    runDoctor: singleFlight(runDoctor),
    async listPacks() {
      const trust = store.trustSettings();
      const packs = store.list().map((p) => packSummary(p, trust));
      return { packs, active: worker ? await (await host()).call({ op: 'active' }) : null };
    },
    async installPack(fileName, bytes) {
      try {
        const { entry, alreadyInstalled } = store.install(bytes);
        return { pack: packSummary(entry, store.trustSettings()), alreadyInstalled };
      } catch (e) {
        throw e instanceof PackError ? new Error(`${fileName} is not a usable task pack: ${e.message}`) : e;
      }
    },
    async uninstallPack(id) {
      const entry = store.find(id);
      // Restore the base before the pack's file goes, so nothing in memory outlives it.
      if (worker) await (await host()).call({ op: 'forget', id: entry.id });
      return packSummary(store.uninstall(entry.id), store.trustSettings());
    },
    activatePack: async (id) => (await host()).call({ op: 'activate', id }),
    async exportPack(id) {
      const { entry, bytes } = store.read(id);
      return { fileName: `${fileSlug(entry.task.name, entry.id)}.taskpack`, bytes };
    },
    async exportModel(id, format) {
      const { ticket, path } = downloads.reserve();
      const { fileName, bytes } = await (await host()).call({ op: 'export-model', id, format, zipPath: path });
      return { fileName, bytes, url: downloads.offer(ticket, { fileName, path, bytes }) };
    },
    takeDownload: (ticket) => downloads.take(ticket),
    async predict(id, inputs) {
      const r = await (await host()).call({ op: 'predict', id, rows: inputs });
      return { id: r.id, type: r.task.type, labels: r.task.labels, predictions: r.predictions };
    },
    evaluatePack: async (id, file, glue) => (await host()).call({ op: 'evaluate', id, fileName: file.fileName, bytes: file.bytes, ...importChoices({ glue }) }),
    async packAnatomy(id) {
      const { entry, content } = store.read(id);
      return { id: entry.id, ...packAnatomy(content, store.baseNames(content.base)) };
    },
    async comparePacks(a, b) {
      const [x, y] = [a, b].map((id) => store.read(id));
      if (x.content.base.fingerprint !== y.content.base.fingerprint) {
        throw new Error(`“${x.entry.task.name}” is for base '${x.entry.base.id}' and “${y.entry.task.name}” for '${y.entry.base.id}': positions compare only on one base`);
      }
      checkOverlapKinds(x.content, y.content);
      return packOverlap(x.content.diffs, y.content.diffs);
    },
    trustSettings: async () => store.trustSettings(),
    addTrustedKey: async (name, publicKey) => store.changeTrust((f) => withKey(f, name, publicKey)),
    removeTrustedKey: async (fingerprint) => store.changeTrust((f) => withoutKey(f, fingerprint)),
    requireSignature: async (required) => store.changeTrust((f) => withRequireSignature(f, required)),
    compareStorage: async (tasks) => (await host()).call({ op: 'compare', ...(tasks === undefined ? {} : { tasks }) }),
    inspectData: async (file, choices) => (await host()).call({ op: 'inspect', fileName: file.fileName, bytes: file.bytes, choices: importChoices(choices) }),
    listBases: async () => (await import('./base-summaries.js')).baseSummaries(home),
    uploadPath: (uploadId, name) => uploadPath(imports, uploadId, name),
    async importUploadedBase(uploadId, id) {
      const dir = join(imports, uploadId);
      try {
        await (await host()).call({ op: 'import-base', dir, id: importId(id), displayName: id }); // the folder's name never arrives
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      return summaryOf(id);
    },
    async importBaseFolder(id) {
      if (!options.pickFolder) throw new Error('choose the folder\'s files instead (a folder dialog needs the desktop app)');
      const dir = await options.pickFolder();
      if (dir === null) return null;
      const { idFromFolder } = await import('./model/bert/import.js');
      const chosen = importId(id ?? idFromFolder(dir));
      await (await host()).call({ op: 'import-base', dir, id: chosen });
      return summaryOf(chosen);
    },
    async removeBase(id) {
      (await import('./packs/bases.js')).uninstallBase(home, id);
    },
    startTraining: async ({ method, sparsity, rank, loraAlpha, loraTargets, bottleneck, ...shared }) => (await runs()).start({ ...sharedRun(shared), ...methodRun({ method, sparsity, rank, loraAlpha, loraTargets, bottleneck }) }),
    trainingStatus: async (runId, cursor) => (await runs()).status(runId, cursor),
    compareMethods: async (request, budgets) => (await queues()).start(sharedRun(request), budgets.map(methodRun)),
    compareStatus: async (queueId) => (await queues()).status(queueId),
    cancelTraining: async (runId) => (await runs()).cancel(runId),
    resumeTraining: async (runId) => (await runs()).resume(runId),
    listTraining: async () => (await runs()).list(),
    removeTraining: async (runId) => (await runs()).remove(runId),
    exploreSparsity: async (runId, targets, steps) => (await runs()).explore(runId, targets, steps),
    installExplored: async (runId, sparsity) => (await runs()).installExplored(runId, sparsity),
    async close() {
      if (training) await (await training).stopAll();
      if (worker) await (await worker).close();
    },
  };
}
