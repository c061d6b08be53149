/**
 * RuntimeWorker: the main thread's handle on a worker thread that owns ONNX Runtime
 * sessions. Every call is async and never blocks the event loop.
 *
 * Tensors you pass (feeds, batches, initial state) are handed over: arrays that own their
 * ArrayBuffer are transferred and read as empty here afterwards; views into a larger
 * buffer are copied. Model bytes and external data are copied (pass `transferModel: true`
 * to hand them over instead). Tensors coming back are transferred to you.
 */
import { Worker } from 'node:worker_threads';
import type { Envelope, Opened, Replies, Reply, Request } from './protocol.js';
import { ensureXdgRuntimeDir, type OpenOptions, type ProviderStatus } from './providers.js';
import type { SessionInfo } from './session.js';
import type { StateBinding } from './step-loop.js';
import type { HostTensor } from './tensor.js';
import { compact, forTransfer, fromWireError } from './transfer.js';

export interface WorkerOpenOptions extends OpenOptions {
  /** Hand the model bytes and external data over instead of copying them. */
  transferModel?: boolean;
}

/**
 * The entry of a worker thread: `<stem>.js` beside `beside` when running compiled from
 * dist/, `<stem>.ts` when running as TypeScript (tsx). Node 20 does not apply the parent's
 * `--import tsx` hooks to a worker's entry file, so a .ts entry is started from a small
 * bootstrap that registers tsx's loader in the worker first.
 */
export function workerEntry(beside: string = import.meta.url, stem = 'runtime-worker-entry'): { url: URL; start: URL | string; eval: boolean } {
  const ts = /\.[cm]?ts$/.test(new URL(beside).pathname);
  const url = new URL(`./${stem}.${ts ? 'ts' : 'js'}`, beside);
  if (!ts) return { url, start: url, eval: false };
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return { url, start: boot, eval: true };
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  op: string;
}

export class RuntimeWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: Error | undefined;

  constructor() {
    // Set in the real process environment before the worker (and Dawn) start: a worker's
    // process.env is a private copy that native code never sees.
    ensureXdgRuntimeDir();
    const entry = workerEntry();
    this.worker = new Worker(entry.start, { eval: entry.eval, name: 'taskpack-runtime' });
    this.worker.unref();
    this.worker.on('message', (r: Reply) => this.settle(r));
    this.worker.on('error', (e) => this.fail(e instanceof Error ? e : new Error(String(e))));
    this.worker.on('exit', (code) => this.fail(new Error(`runtime worker exited (code ${code})`)));
  }

  private settle(r: Reply): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if (this.pending.size === 0) this.worker.unref();
    if (r.ok) p.resolve(r.value);
    else p.reject(fromWireError(r.error, p.op));
  }

  private fail(e: Error): void {
    this.dead ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** Send one request; the worker is kept referenced (the process stays up) while any is pending. */
  private call<K extends Request['op']>(req: Extract<Request, { op: K }>, transfer: ArrayBuffer[] = []): Promise<Replies[K]> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<Replies[K]>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, op: req.op });
      try {
        this.worker.postMessage({ ...req, id } as Envelope, transfer);
      } catch (e) {
        this.pending.delete(id);
        if (this.pending.size === 0) this.worker.unref();
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  /** Which execution providers work here (each tried with a tiny session). */
  detectProviders(): Promise<ProviderStatus[]> {
    return this.call({ op: 'detect' });
  }

  private modelArgs(model: Uint8Array, opts: WorkerOpenOptions): { model: Uint8Array; opts: OpenOptions; transfer: ArrayBuffer[] } {
    const { transferModel, ...rest } = opts;
    const transfer: ArrayBuffer[] = [];
    if (!transferModel) return { model, opts: rest, transfer };
    const m = compact(model);
    transfer.push(m.buffer as ArrayBuffer);
    const externalData = rest.externalData?.map((e) => {
      const data = compact(e.data);
      if (!transfer.includes(data.buffer as ArrayBuffer)) transfer.push(data.buffer as ArrayBuffer);
      return { path: e.path, data };
    });
    return { model: m, opts: externalData ? { ...rest, externalData } : rest, transfer };
  }

  /** Open a model for plain runs (inference). */
  async openSession(model: Uint8Array, opts: WorkerOpenOptions): Promise<WorkerSession> {
    const a = this.modelArgs(model, opts);
    const opened = await this.call({ op: 'openSession', model: a.model, opts: a.opts }, a.transfer);
    return new WorkerSession(this, opened);
  }

  /**
   * Open a training-step model and start a step loop over it: `binding` maps each state
   * output to the state input it feeds next step; the initial state is handed over.
   */
  async openLoop(
    model: Uint8Array,
    opts: WorkerOpenOptions,
    binding: StateBinding,
    initialState: Record<string, HostTensor>,
  ): Promise<WorkerLoop> {
    const a = this.modelArgs(model, opts);
    const st = forTransfer(initialState, a.transfer);
    const opened = await this.call(
      { op: 'openLoop', model: a.model, opts: a.opts, binding, initialState: st.tensors },
      st.transfer,
    );
    return new WorkerLoop(this, opened);
  }

  /** @internal */
  _run(handle: number, feeds: Record<string, HostTensor>, fetches?: string[]): Promise<Record<string, HostTensor>> {
    const f = forTransfer(feeds);
    const req: Extract<Request, { op: 'run' }> = { op: 'run', handle, feeds: f.tensors };
    if (fetches) req.fetches = fetches;
    return this.call(req, f.transfer);
  }

  /** @internal */
  _step(handle: number, batch: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
    const f = forTransfer(batch);
    return this.call({ op: 'step', handle, batch: f.tensors }, f.transfer);
  }

  /** @internal */
  _readState(handle: number, names?: readonly string[]): Promise<Record<string, HostTensor>> {
    return this.call({ op: 'readState', handle, ...(names ? { names: [...names] } : {}) });
  }

  /** @internal */
  _stateLocations(handle: number): Promise<Record<string, string>> {
    return this.call({ op: 'stateLocations', handle });
  }

  /** @internal */
  async _close(handle: number): Promise<void> {
    if (this.dead) return;
    await this.call({ op: 'close', handle });
  }

  /** Stop the worker (its sessions go with it). Pending calls are rejected. */
  async terminate(): Promise<void> {
    this.fail(new Error('runtime worker terminated'));
    await this.worker.terminate();
  }
}

export class WorkerSession {
  readonly info: SessionInfo;
  private readonly handle: number;

  constructor(private readonly host: RuntimeWorker, opened: Opened) {
    this.handle = opened.handle;
    this.info = opened.info;
  }

  /** Run with host tensors (handed over); all outputs, or only `fetches`, come back. */
  run(feeds: Record<string, HostTensor>, fetches?: string[]): Promise<Record<string, HostTensor>> {
    return this.host._run(this.handle, feeds, fetches);
  }

  close(): Promise<void> {
    return this.host._close(this.handle);
  }
}

export class WorkerLoop {
  readonly info: SessionInfo;
  private readonly handle: number;

  constructor(private readonly host: RuntimeWorker, opened: Opened) {
    this.handle = opened.handle;
    this.info = opened.info;
  }

  /** One training step: the batch (handed over) in, the non-state outputs back. */
  step(batch: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
    return this.host._step(this.handle, batch);
  }

  /** Host copies of the current state (or of the inputs named), by state input name. */
  readState(names?: readonly string[]): Promise<Record<string, HostTensor>> {
    return this.host._readState(this.handle, names);
  }

  /** Where each state tensor lives in the worker ('cpu' or 'gpu-buffer'). */
  stateLocations(): Promise<Record<string, string>> {
    return this.host._stateLocations(this.handle);
  }

  close(): Promise<void> {
    return this.host._close(this.handle);
  }
}
