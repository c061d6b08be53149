/**
 * The IPC contract, declared once: channel → args → result. The preload and the renderer
 * import it with `import type` only; the runtime channel list below is checked against it
 * by the compiler (exhaustiveness) and by test/app/ipc-contract.test.ts.
 */
import type { DoctorReport, ProviderCheck } from '../selftest/report.js';
import type { DataPreview } from '../data/preview.js';
import type { GlueTask } from '../data/glue-tasks.js';
import type { ExplorePointStatus, ExploreStatus, QueueRunStatus, QueueStatus, RunProgress, RunState, RunStatus } from '../train/run-status.js';
import type { PackAnatomy, PackOverlap, TrustedKey, TrustSettings } from '../packs/views.js';
import type { Budget, StoragePoint, StorageReport, StorageTask } from '../packs/storage-report.js';

export type { Budget, DataPreview, DoctorReport, ExplorePointStatus, ExploreStatus, PackAnatomy, PackOverlap, ProviderCheck, QueueRunStatus, QueueStatus, RunProgress, RunState, RunStatus, StoragePoint, StorageTask, TrustedKey, TrustSettings };

/** Versions and platform of the running app (`app:info`). */
export interface AppInfo {
  name: string;
  version: string;
  node: string;
  platform: string;
  arch: string;
  /** Present when running inside Electron. */
  electron: string | null;
  chrome: string | null;
}

/** Arguments of a channel that takes none: the renderer sends `{}`. */
export type NoArgs = Record<string, never>;

/** An installed task pack as the UI shows it. */
export interface PackSummary {
  id: string;
  name: string;
  type: 'classification' | 'regression';
  labels: string[];
  /** The text columns it reads: two for a text-pair task; null when the store did not record them. */
  inputColumns: string[] | null;
  method: string;
  /** The pack file's size. */
  bytes: number;
  nnz: number;
  /** A LoRA or adapter pack's size (model/modules.ts's ModuleSpec, what the UI shows of it); null for a diff pack. */
  module: { kind: 'lora'; rank: number } | { kind: 'adapter'; bottleneck: number } | null;
  devMetrics: Record<string, number>;
  baseId: string;
  signed: boolean;
  /** Against the trust settings now: 'unchecked' when there is no trusted-keys list (any valid signature passes). */
  signature: 'unsigned' | 'trusted' | 'untrusted' | 'unchecked';
  /** The signing key: its fingerprint, and its name when it is a trusted one. */
  signer: { fingerprint: string; name: string | null } | null;
  installedAt: string;
}

export interface PackList {
  packs: PackSummary[];
  /** The pack patched onto the base in memory, if any. */
  active: string | null;
}

export interface PackActivation {
  id: string;
  baseId: string;
  /** Time the swap took: the previous pack's bits restored, this pack's nonzeros patched in. */
  swapMs: number;
  /** True when the pack was read and verified from the store first (its first activation). */
  loaded: boolean;
}

/** One text to predict; `pair` for text-pair tasks. */
export interface PredictInput {
  text: string;
  pair?: string;
}

export type Prediction = { label: string; probabilities: number[] } | { score: number };

export interface PredictResult {
  id: string;
  type: 'classification' | 'regression';
  labels: string[];
  predictions: Prediction[];
}

/** `taskpack storage` as the UI shows it: per task, each method and budget's bytes and dev metric, measured or estimated. */
export type StorageComparison = StorageReport;

/** Most texts one `packs:predict` call takes; the renderer sends a file in chunks of this. */
export const MAX_PREDICT_INPUTS = 256;
/** Longest text accepted (characters); the model truncates to its max length anyway. */
export const MAX_TEXT_CHARS = 20_000;
/** Largest pack the renderer may hand over for install (bytes, before base64). */
export const MAX_INSTALL_BYTES = 16 * 2 ** 20;
/** Most tasks the storage comparison takes. */
export const MAX_STORAGE_TASKS = 10_000;
/** Largest data file the finetune wizard hands over (bytes, before base64). */
export const MAX_DATA_BYTES = 32 * 2 ** 20;

export type { GlueTask };

/** Characters of the base64 text of `bytes` bytes. */
export const base64Length = (bytes: number) => Math.ceil(bytes / 3) * 4;

/** A file the user picked, as base64: the renderer never names paths on this machine. */
export interface UploadedFile {
  fileName: string;
  data: string;
}

/** Formats of a merged model export (`taskpack export-model --format`). */
export const MODEL_FORMATS = ['onnx', 'safetensors'] as const;
export type ModelFormat = (typeof MODEL_FORMATS)[number];

/** A merged model zipped for saving: the page fetches `url` (same origin) once, within 10 minutes. */
export interface ModelDownload {
  fileName: string;
  bytes: number;
  url: string;
}

export const TRAIN_METHODS = ['diff-structured', 'diff', 'full', 'last-layer', 'bitfit', 'magnitude', 'lora', 'adapter-houlsby', 'adapter-pfeiffer'] as const;
export type TrainMethod = (typeof TRAIN_METHODS)[number];

/** A base model the app can finetune (`taskpack base list`). */
export interface BaseSummary {
  id: string;
  displayName: string;
  architecture: string;
  shipped: boolean;
  /** Converted already (a shipped base converts on its first use). */
  installed: boolean;
  parameters: number | null;
  /** Estimated peak memory of a CPU training run per method at the wizard's batch and length (train/memory-estimate.ts); null until installed. */
  trainingPeakBytes: Record<TrainMethod, number> | null;
  /** What task packs bind to; encoder layers; bytes of its float32 weights: null until installed. */
  fingerprint: string | null;
  layers: number | null;
  bytes: number | null;
  /** Installed packs made for this base (removal is refused while there are any). */
  packs: { id: string; name: string }[];
}

/** The files of a Hugging Face BERT folder the import reads; each is uploaded on its own (`PUT /upload/<uploadId>/<name>` on the dev host). */
export const BASE_FILE_NAMES = ['config.json', 'model.safetensors', 'pytorch_model.bin', 'tokenizer.json', 'vocab.txt', 'tokenizer_config.json'] as const;
/** Largest file of a base folder: what the import (and `taskpack base import`) reads into one buffer. */
export const MAX_BASE_FILE_BYTES = 2 ** 31 - 1;
/** Where the dev host takes a base folder's files, one streamed request each. */
export const UPLOAD_PREFIX = '/upload/';

/** How to read a data file; each left out is detected (the preview shows what was). */
export interface DataChoices {
  /** Read the files with a GLUE task's layout (e.g. 'CoLA', whose files have no header). */
  glue?: string;
  taskType?: 'classification' | 'regression';
  /** Column names (as the preview lists them); pairCol 'none' for single texts. */
  textCol?: string;
  pairCol?: string;
  labelCol?: string;
}

/** The finetune wizard's choices; everything else takes `taskpack train`'s defaults. */
export interface TrainRequest extends DataChoices {
  taskName: string;
  train: UploadedFile;
  /** Without one, a seeded stratified 10 % of the training file is held out. */
  dev?: UploadedFile;
  method: TrainMethod;
  /** Fraction of the base's parameters the diff may change (diff methods, magnitude). */
  sparsity: number;
  epochs: number;
  seed: number;
  /** Default: the shipped base. */
  baseId?: string;
  /** 'webgpu' falls back to the CPU, saying why, where no GPU adapter works. Default 'cpu'. */
  provider?: 'cpu' | 'webgpu';
  /** LoRA's rank, scale α and targets (default 8, 8, 'qv'); adapters' bottleneck (default: sized to the sparsity budget). */
  rank?: number;
  loraAlpha?: number;
  loraTargets?: 'qv' | 'all';
  bottleneck?: number;
}

/** One run of a comparison: what differs between its runs (a new method's budget field joins this Pick). */
export type CompareRun = Pick<TrainRequest, 'method' | 'sparsity' | 'rank' | 'loraAlpha' | 'loraTargets' | 'bottleneck'>;
/** Most runs one comparison trains. */
export const MAX_COMPARE_RUNS = 8;

/** Compare methods: the wizard's shared choices, and each run's method and budget. */
export interface CompareRequest extends Omit<TrainRequest, keyof CompareRun> {
  runs: CompareRun[];
}

export interface IpcContract {
  'app:info': { args: NoArgs; result: AppInfo };
  'system:doctor': { args: NoArgs; result: DoctorReport };
  'packs:list': { args: NoArgs; result: PackList };
  /** The pack file's bytes as base64: the renderer never names paths on this machine. */
  'packs:install': { args: { fileName: string; data: string }; result: { pack: PackSummary; alreadyInstalled: boolean } };
  'packs:uninstall': { args: { id: string }; result: { pack: PackSummary } };
  /** The installed pack's file, re-verified, for the renderer to offer as a download. */
  'packs:export': { args: { id: string }; result: UploadedFile };
  /** The pack merged into its base (θ + δ, head) as a zipped model folder, fetched from the returned URL. */
  'packs:export-model': { args: { id: string; format: ModelFormat }; result: ModelDownload };
  'packs:activate': { args: { id: string }; result: PackActivation };
  'packs:predict': { args: { id: string; inputs: PredictInput[] }; result: PredictResult };
  /** GLUE metrics of the pack on a labelled file (same columns as it was trained on). */
  'packs:evaluate': { args: { id: string; file: UploadedFile; glue?: string }; result: { id: string; metrics: Record<string, number>; n: number } };
  /** Where the pack's nonzeros sit: rows (embeddings, layers, pooler) × tensor kinds. */
  'packs:anatomy': { args: { id: string }; result: PackAnatomy & { id: string } };
  /** The overlap of two installed packs' positions (packs of one base). */
  'packs:compare': { args: { a: string; b: string }; result: PackOverlap };
  'trust:get': { args: NoArgs; result: TrustSettings };
  /** A public key as base64 of its raw 32 bytes, or a PEM block. */
  'trust:add-key': { args: { name: string; publicKey: string }; result: TrustSettings };
  'trust:remove-key': { args: { fingerprint: string }; result: TrustSettings };
  'trust:require-signature': { args: { required: boolean }; result: TrustSettings };
  'storage:compare': { args: { tasks?: number }; result: StorageComparison };
  /** With the memory free on this machine now, which the wizard weighs each run's estimated peak against. */
  'bases:list': { args: NoArgs; result: { bases: BaseSummary[]; freeMemoryBytes: number } };
  /** Import the files uploaded under `uploadId` (dev host) as base `id`; the upload is removed either way. */
  'bases:import-upload': { args: { uploadId: string; id: string }; result: { base: BaseSummary } };
  /** Electron: pick a folder in a dialog of the main process and import it (null: the dialog was cancelled). */
  'bases:import-folder': { args: { id?: string }; result: { base: BaseSummary | null } };
  /** Refused for the shipped base and while packs depend on it (naming them). */
  'bases:remove': { args: { id: string }; result: { id: string } };
  /** How the wizard will read a data file: columns, task type, labels, counts, a few rows. */
  'data:inspect': { args: DataChoices & { file: UploadedFile }; result: DataPreview };
  'train:start': { args: TrainRequest; result: RunStatus };
  /** Losses are sent from `cursor` on (default 0): poll with the last answer's nextCursor. */
  'train:status': { args: { runId: string; cursor?: number }; result: RunStatus };
  'train:cancel': { args: { runId: string }; result: RunStatus };
  'train:resume': { args: { runId: string }; result: RunStatus };
  'train:list': { args: NoArgs; result: { runs: RunStatus[] } };
  /** Delete a run that is not running: its data copy and checkpoints (its pack stays installed). */
  'train:remove': { args: { runId: string }; result: { runId: string } };
  /** The sparsity explorer on a diff run's finished L0 phase; `steps` per target (default: an epoch, at most 200). */
  'train:explore': { args: { runId: string; targets: number[]; steps?: number }; result: RunStatus };
  'train:install-explored': { args: { runId: string; sparsity: number }; result: RunStatus };
  /** Train each method one after another on the same data, split and seed; each run is cancelled and resumed as any (train:cancel, train:resume). */
  'train:compare': { args: CompareRequest; result: QueueStatus };
  'train:compare-status': { args: { queueId: string }; result: QueueStatus };
}

export type Channel = keyof IpcContract;
export type ArgsOf<C extends Channel> = IpcContract[C]['args'];
export type ResultOf<C extends Channel> = IpcContract[C]['result'];

export type IpcErrorCode =
  | 'invalid-args' // arguments failed validation
  | 'unknown-channel' // no such channel
  | 'forbidden' // caller is not the app's own renderer
  | 'failed' // the service threw
  | 'transport'; // the renderer could not reach the main process / dev host

export interface IpcError {
  code: IpcErrorCode;
  message: string;
}

/** Every handler answers this; it never throws across the boundary. */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: IpcError };

/** What the preload exposes as `window.taskpack`. */
export interface TaskpackBridge {
  invoke<C extends Channel>(channel: C, args: ArgsOf<C>): Promise<IpcResult<ResultOf<C>>>;
}

/** The runtime channel list: the only channels the preload, ipcMain and the dev host accept. */
export const CHANNELS = [
  'app:info', 'system:doctor', 'packs:list', 'packs:install', 'packs:uninstall', 'packs:activate', 'packs:predict', 'packs:evaluate',
  'packs:export', 'packs:export-model', 'storage:compare', 'bases:list', 'bases:import-upload', 'bases:import-folder', 'bases:remove',
  'data:inspect', 'train:start', 'train:status', 'train:cancel', 'train:resume', 'train:list', 'train:remove', 'train:explore', 'train:install-explored',
  'train:compare', 'train:compare-status', 'packs:anatomy', 'packs:compare', 'trust:get', 'trust:add-key', 'trust:remove-key', 'trust:require-signature',
] as const satisfies readonly Channel[];

// Compile-time exhaustiveness: adding a channel to IpcContract without listing it fails here.
type AssertNever<T extends never> = T;
export type AllChannelsListed = AssertNever<Exclude<Channel, (typeof CHANNELS)[number]>>;

export function isChannel(name: string): name is Channel {
  return (CHANNELS as readonly string[]).includes(name);
}
