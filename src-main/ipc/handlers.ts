/**
 * Channel handlers as plain functions: validate the (untrusted) arguments, call a service,
 * wrap the outcome as an IpcResult. No electron import: Electron's ipcMain wiring
 * (electron-bridge.ts) and the dev host (devhost/server.ts) both reuse these.
 */
import type { Download } from '../export/downloads.js';
import type {
  AppInfo, ArgsOf, BaseSummary, Channel, DataChoices, DataPreview, DoctorReport, IpcErrorCode, IpcResult, ModelDownload, ModelFormat, PackActivation, PackList, PackSummary, PredictInput, PredictResult,
  ResultOf, RunStatus, StorageComparison, TrainRequest, UploadedFile,
} from './contract.js';
import { freemem } from 'node:os';
import { CHANNELS, isChannel } from './contract.js';
import { ARG_SCHEMAS, describeIssues } from './schemas.js';

export interface DoctorOptions {
  /** Progress lines (the CLI sends them to stderr). */
  log?: (line: string) => void;
}

/** What the handlers need from the rest of the app; tests pass fakes. */
export interface Services {
  appInfo(): AppInfo | Promise<AppInfo>;
  runDoctor(options?: DoctorOptions): Promise<DoctorReport>;
  listPacks(): Promise<PackList>;
  /** Validate (strictly, as an untrusted file) and install; nothing is written for a bad pack. */
  installPack(fileName: string, bytes: Uint8Array): Promise<{ pack: PackSummary; alreadyInstalled: boolean }>;
  uninstallPack(id: string): Promise<PackSummary>;
  /** The installed pack's bytes (digest and strict decode checked again) and a file name for them. */
  exportPack(id: string): Promise<DecodedFile>;
  /** The pack merged into its base as a zipped model folder, offered for download once. */
  exportModel(id: string, format: ModelFormat): Promise<ModelDownload>;
  /** The file a ModelDownload's URL names (once; call done() after sending it): for the transports. */
  takeDownload?(ticket: string): (Download & { done(): void }) | undefined;
  activatePack(id: string): Promise<PackActivation>;
  predict(id: string, inputs: PredictInput[]): Promise<PredictResult>;
  evaluatePack(id: string, file: DecodedFile): Promise<{ id: string; metrics: Record<string, number>; n: number }>;
  compareStorage(tasks?: number): Promise<StorageComparison>;
  inspectData(file: DecodedFile, choices: DataChoices): Promise<DataPreview>;
  listBases(): Promise<BaseSummary[]>;
  /** Where the dev host streams file `name` of upload `uploadId` (BASE_FILE_NAMES only). */
  uploadPath?(uploadId: string, name: string): string;
  importUploadedBase(uploadId: string, id: string): Promise<BaseSummary>;
  /** Electron only (a directory dialog in the main process); null when cancelled. */
  importBaseFolder(id?: string): Promise<BaseSummary | null>;
  removeBase(id: string): Promise<void>;
  /** Copy the data into a new run and start it; a finished run's pack is installed. */
  startTraining(request: TrainStart): Promise<RunStatus>;
  trainingStatus(runId: string, cursor?: number): Promise<RunStatus>;
  cancelTraining(runId: string): Promise<RunStatus>;
  resumeTraining(runId: string): Promise<RunStatus>;
  listTraining(): Promise<RunStatus[]>;
  exploreSparsity(runId: string, targets: number[], steps?: number): Promise<RunStatus>;
  installExplored(runId: string, sparsity: number): Promise<RunStatus>;
  /** Before the process exits: running trainings checkpoint and stop, workers end. */
  close?(): Promise<void>;
}

/** A TrainRequest with its files' bytes decoded. */
export type TrainStart = Omit<TrainRequest, 'train' | 'dev'> & { train: DecodedFile; dev?: DecodedFile };
export interface DecodedFile {
  fileName: string;
  bytes: Uint8Array;
}

const decodeFile = (f: UploadedFile): DecodedFile => ({ fileName: f.fileName, bytes: new Uint8Array(Buffer.from(f.data, 'base64')) });

type Implementations = {
  readonly [C in Channel]: (args: ArgsOf<C>, services: Services) => ResultOf<C> | Promise<ResultOf<C>>;
};

const IMPLEMENTATIONS: Implementations = {
  'app:info': (_args, services) => services.appInfo(),
  'system:doctor': (_args, services) => services.runDoctor(),
  'packs:list': (_args, services) => services.listPacks(),
  'packs:install': (args, services) => services.installPack(args.fileName, new Uint8Array(Buffer.from(args.data, 'base64'))),
  'packs:uninstall': async (args, services) => ({ pack: await services.uninstallPack(args.id) }),
  'packs:activate': (args, services) => services.activatePack(args.id),
  'packs:export': async (args, services) => {
    const { fileName, bytes } = await services.exportPack(args.id);
    return { fileName, data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
  },
  'packs:export-model': (args, services) => services.exportModel(args.id, args.format),
  'packs:predict': (args, services) => services.predict(args.id, args.inputs),
  'packs:evaluate': (args, services) => services.evaluatePack(args.id, decodeFile(args.file)),
  'storage:compare': (args, services) => services.compareStorage(args.tasks),
  'bases:list': async (_args, services) => ({ bases: await services.listBases(), freeMemoryBytes: freemem() }),
  'bases:import-upload': async (args, services) => ({ base: await services.importUploadedBase(args.uploadId, args.id) }),
  'bases:import-folder': async (args, services) => ({ base: await services.importBaseFolder(args.id) }),
  'bases:remove': async (args, services) => {
    await services.removeBase(args.id);
    return { id: args.id };
  },
  'data:inspect': ({ file, ...choices }, services) => services.inspectData(decodeFile(file), choices),
  'train:start': ({ train, dev, ...choices }, services) =>
    services.startTraining({ ...choices, train: decodeFile(train), ...(dev ? { dev: decodeFile(dev) } : {}) }),
  'train:status': (args, services) => services.trainingStatus(args.runId, args.cursor),
  'train:cancel': (args, services) => services.cancelTraining(args.runId),
  'train:resume': (args, services) => services.resumeTraining(args.runId),
  'train:list': async (_args, services) => ({ runs: await services.listTraining() }),
  'train:explore': (args, services) => services.exploreSparsity(args.runId, args.targets, args.steps),
  'train:install-explored': (args, services) => services.installExplored(args.runId, args.sparsity),
};

export type Handler<C extends Channel> = (rawArgs: unknown) => Promise<IpcResult<ResultOf<C>>>;
export type HandlerTable = { readonly [C in Channel]: Handler<C> };

export function ipcFailure(code: IpcErrorCode, message: string): { ok: false; error: { code: IpcErrorCode; message: string } } {
  return { ok: false, error: { code, message } };
}

function makeHandler<C extends Channel>(channel: C, services: Services): Handler<C> {
  const schema = ARG_SCHEMAS[channel];
  const implementation = IMPLEMENTATIONS[channel] as Implementations[C];
  return async (rawArgs) => {
    const parsed = schema.safeParse(rawArgs);
    if (!parsed.success) {
      return ipcFailure('invalid-args', `invalid arguments for ${channel}: ${describeIssues(parsed.error)}`);
    }
    try {
      return { ok: true, value: await implementation(parsed.data, services) };
    } catch (err) {
      return ipcFailure('failed', `${channel} failed: ${errorLine(err)}`);
    }
  };
}

export function createHandlers(services: Services): HandlerTable {
  const table = {} as Record<Channel, Handler<Channel>>;
  for (const channel of CHANNELS) table[channel] = makeHandler(channel, services);
  return Object.freeze(table) as HandlerTable;
}

/** Routes a channel name that came from outside (IPC, HTTP path) to its handler. */
export function dispatch(handlers: HandlerTable, channel: string, rawArgs: unknown): Promise<IpcResult<unknown>> {
  if (!isChannel(channel)) return Promise.resolve(ipcFailure('unknown-channel', `unknown channel: ${channel.slice(0, 64)}`));
  return handlers[channel](rawArgs);
}

/** First line of an error's message: errors cross to the UI, stacks stay in the main process. */
export function errorLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n', 1)[0] || 'unknown error';
}
