/**
 * What the IPC handlers and the CLI need from the rest of the app: the port that
 * app-services.ts implements and tests fake.
 */
import type {
  AppInfo, BaseSummary, CompareRequest, CompareRun, DataChoices, DataPreview, DoctorReport, ModelDownload, ModelFormat, PackActivation, PackAnatomy, PackList, PackOverlap, PackSummary, PredictInput, PredictResult, QueueStatus, RunStatus,
  StorageComparison, TrainRequest, TrustSettings,
} from './contract.js';
import type { FileBytes } from '../data/uploaded.js';
import type { Download } from '../export/downloads.js';

export interface DoctorOptions {
  /** Progress lines (the CLI sends them to stderr). */
  log?: (line: string) => void;
}

export interface Services {
  appInfo(): AppInfo | Promise<AppInfo>;
  runDoctor(options?: DoctorOptions): Promise<DoctorReport>;
  listPacks(): Promise<PackList>;
  /** Validate (strictly, as an untrusted file) and install; nothing is written for a bad pack. */
  installPack(fileName: string, bytes: Uint8Array): Promise<{ pack: PackSummary; alreadyInstalled: boolean }>;
  uninstallPack(id: string): Promise<PackSummary>;
  /** The installed pack's bytes (digest and strict decode checked again) and a file name for them. */
  exportPack(id: string): Promise<FileBytes>;
  /** The pack merged into its base as a zipped model folder, offered for download once. */
  exportModel(id: string, format: ModelFormat): Promise<ModelDownload>;
  /** The file a ModelDownload's URL names (once; call done() after sending it): for the transports. */
  takeDownload?(ticket: string): (Download & { done(): void }) | undefined;
  activatePack(id: string): Promise<PackActivation>;
  predict(id: string, inputs: PredictInput[]): Promise<PredictResult>;
  /** `glue`: read the file with that GLUE task's layout (else detected). */
  evaluatePack(id: string, file: FileBytes, glue?: string): Promise<{ id: string; metrics: Record<string, number>; n: number }>;
  packAnatomy(id: string): Promise<PackAnatomy & { id: string }>;
  /** Refused for packs of different bases. */
  comparePacks(a: string, b: string): Promise<PackOverlap>;
  trustSettings(): Promise<TrustSettings>;
  /** Each change written atomically; a bad key or name changes nothing. */
  addTrustedKey(name: string, publicKey: string): Promise<TrustSettings>;
  removeTrustedKey(fingerprint: string): Promise<TrustSettings>;
  requireSignature(required: boolean): Promise<TrustSettings>;
  compareStorage(tasks?: number): Promise<StorageComparison>;
  inspectData(file: FileBytes, choices: DataChoices): Promise<DataPreview>;
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
  /** Compare methods: one run per method and budget, one after another on the same data, split and seed. */
  compareMethods(request: CompareStart, runs: CompareRun[]): Promise<QueueStatus>;
  compareStatus(queueId: string): Promise<QueueStatus>;
  cancelTraining(runId: string): Promise<RunStatus>;
  resumeTraining(runId: string): Promise<RunStatus>;
  listTraining(): Promise<RunStatus[]>;
  removeTraining(runId: string): Promise<void>;
  exploreSparsity(runId: string, targets: number[], steps?: number): Promise<RunStatus>;
  installExplored(runId: string, sparsity: number): Promise<RunStatus>;
  /** Before the process exits: running trainings checkpoint and stop, workers end. */
  close?(): Promise<void>;
}

/** A TrainRequest with its files' bytes decoded. */
export type TrainStart = Omit<TrainRequest, 'train' | 'dev'> & { train: FileBytes; dev?: FileBytes };
/** A CompareRequest's shared choices with its files' bytes decoded. */
export type CompareStart = Omit<CompareRequest, 'train' | 'dev' | 'runs'> & { train: FileBytes; dev?: FileBytes };
