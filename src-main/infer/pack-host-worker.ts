/**
 * The app's PackHost in a worker thread of its own: the base model, the patched weights and
 * the inference sessions live there, so a prediction (session.run blocks its thread), the
 * shipped base's first conversion (for the storage comparison) or reading a large data file
 * for the wizard's preview never stalls the Electron main process or the dev host. Calls are queued in the worker one at a
 * time, in order; only ids, texts and small results cross the thread boundary.
 */
import { Worker } from 'node:worker_threads';
import type { DataPreview, ImportChoices } from '../data/inspect.js';
import type { GlueTask } from '../data/glue-tasks.js';
import type { TextRow } from '../model/base.js';
import type { ExportFormat } from '../export/export-model.js';
import type { StorageReport } from '../packs/storage.js';
import { ensureXdgRuntimeDir, workerEntry } from '../runtime/index.js';
import type { Activation, PackHost, PackHostOptions } from './pack-host.js';

/** The PackHost methods the worker serves, with their arguments. */
export type HostRequest =
  | { op: 'activate'; id: string }
  | { op: 'predict'; id: string; rows: TextRow[] }
  | { op: 'evaluate'; id: string; fileName: string; bytes: Uint8Array; glue?: GlueTask }
  | { op: 'inspect'; fileName: string; bytes: Uint8Array; choices: ImportChoices }
  | { op: 'forget'; id: string }
  | { op: 'active' }
  | { op: 'compare'; tasks?: number }
  | { op: 'export-model'; id: string; format: ExportFormat; zipPath: string }
  | { op: 'import-base'; dir: string; id: string; displayName?: string };

export type HostReplies = {
  activate: Activation;
  predict: Awaited<ReturnType<PackHost['predict']>>;
  evaluate: Awaited<ReturnType<PackHost['evaluate']>>;
  inspect: DataPreview;
  forget: void;
  active: string | null;
  compare: StorageReport;
  'export-model': { fileName: string; bytes: number };
  'import-base': void;
};

export type HostEnvelope = HostRequest & { seq: number };
export type HostReply = { seq: number; ok: true; value: unknown } | { seq: number; ok: false; message: string };

export interface PackHostWorkerData extends PackHostOptions {
  home: string;
}

/**
 * A worker that dies (a crash, out of memory) fails the calls it held with the reason and is
 * started afresh on the next call: the base is loaded again and no pack is active.
 */
export class PackHostWorker {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private seq = 0;
  private readonly workerData: PackHostWorkerData;
  /** Why the last worker died, if one did: reported with the calls it failed. */
  lastCrash: Error | undefined;

  constructor(home: string, options: Omit<PackHostOptions, 'log'> = {}) {
    ensureXdgRuntimeDir();
    this.workerData = { home, ...options };
  }

  private spawn(): Worker {
    const entry = workerEntry(import.meta.url, 'pack-host-worker-entry');
    const worker = new Worker(entry.start, { eval: entry.eval, workerData: this.workerData, name: 'taskpack-packs' });
    worker.unref();
    worker.on('message', (r: HostReply) => {
      const p = this.pending.get(r.seq);
      if (!p) return;
      this.pending.delete(r.seq);
      if (this.pending.size === 0) worker.unref();
      if (r.ok) p.resolve(r.value);
      else p.reject(new Error(r.message));
    });
    const died = (cause: string) => {
      if (this.worker !== worker) return; // closed on purpose, or 'error' then 'exit'
      this.worker = undefined;
      this.lastCrash = new Error(`the pack host stopped (${cause}); it restarts on the next call, with no pack active`);
      for (const p of this.pending.values()) p.reject(this.lastCrash);
      this.pending.clear();
    };
    worker.on('error', (e) => died(e instanceof Error ? e.message : String(e)));
    worker.on('exit', (code) => died(`exit code ${code}`));
    return (this.worker = worker);
  }

  call<K extends HostRequest['op']>(request: Extract<HostRequest, { op: K }>): Promise<HostReplies[K]> {
    const worker = this.worker ?? this.spawn();
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) worker.ref();
      this.pending.set(seq, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...request, seq } satisfies HostEnvelope);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    for (const p of this.pending.values()) p.reject(new Error('the pack host was closed'));
    this.pending.clear();
    await worker?.terminate();
  }
}
