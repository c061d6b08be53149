/**
 * The app's PackHost in a worker thread of its own: the base model, the patched weights and
 * the inference sessions live there, so a prediction (session.run blocks its thread), the
 * shipped base's first conversion (for the storage comparison) or reading a large data file
 * for the wizard's preview never stalls the Electron main process or the dev host. Calls are queued in the worker one at a
 * time, in order; only ids, texts and small results cross the thread boundary.
 */
import { Worker } from 'node:worker_threads';
import type { DataPreview, ImportChoices } from '../data/inspect.js';
import type { TextRow } from '../model/base.js';
import type { StorageReport } from '../packs/storage.js';
import { ensureXdgRuntimeDir, workerEntry } from '../runtime/index.js';
import type { Activation, PackHost, PackHostOptions } from './pack-host.js';

/** The PackHost methods the worker serves, with their arguments. */
export type HostRequest =
  | { op: 'activate'; id: string }
  | { op: 'predict'; id: string; rows: TextRow[] }
  | { op: 'evaluate'; id: string; fileName: string; bytes: Uint8Array }
  | { op: 'inspect'; fileName: string; bytes: Uint8Array; choices: ImportChoices }
  | { op: 'forget'; id: string }
  | { op: 'active' }
  | { op: 'compare'; tasks?: number };

export type HostReplies = {
  activate: Activation;
  predict: Awaited<ReturnType<PackHost['predict']>>;
  evaluate: Awaited<ReturnType<PackHost['evaluate']>>;
  inspect: DataPreview;
  forget: void;
  active: string | null;
  compare: StorageReport;
};

export type HostEnvelope = HostRequest & { seq: number };
export type HostReply = { seq: number; ok: true; value: unknown } | { seq: number; ok: false; message: string };

export interface PackHostWorkerData extends PackHostOptions {
  home: string;
}

export class PackHostWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private seq = 0;
  private dead: Error | undefined;

  constructor(home: string, options: Omit<PackHostOptions, 'log'> = {}) {
    ensureXdgRuntimeDir();
    const entry = workerEntry(import.meta.url, 'pack-host-worker-entry');
    const workerData: PackHostWorkerData = { home, ...options };
    this.worker = new Worker(entry.start, { eval: entry.eval, workerData, name: 'taskpack-packs' });
    this.worker.unref();
    this.worker.on('message', (r: HostReply) => {
      const p = this.pending.get(r.seq);
      if (!p) return;
      this.pending.delete(r.seq);
      if (this.pending.size === 0) this.worker.unref();
      if (r.ok) p.resolve(r.value);
      else p.reject(new Error(r.message));
    });
    const fail = (e: Error) => {
      this.dead ??= e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    this.worker.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
    this.worker.on('exit', (code) => fail(new Error(`pack host worker exited (code ${code})`)));
  }

  call<K extends HostRequest['op']>(request: Extract<HostRequest, { op: K }>): Promise<HostReplies[K]> {
    if (this.dead) return Promise.reject(this.dead);
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(seq, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...request, seq } satisfies HostEnvelope);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
