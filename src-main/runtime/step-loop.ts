/**
 * The training loop's inner part: run a step model again and again, feeding each step's
 * new state outputs back as the next step's state inputs. A loop may hold several models
 * with the same state binding (one training step and several unrolled into one run,
 * train/multi-step.ts): each step names the model it runs, and all of them share the state.
 *
 * CPU: the state is fed zero-copy; ORT copies each output into a fresh buffer, which
 * becomes the next step's input as is (no second copy). State outputs named `inPlace`
 * (train/in-place.ts says which may be) are written by ORT into their own input's buffer
 * instead, so the state is held once, not twice (the binding still hands back a copy of
 * each, dropped at once). Where the host state is large, garbage is collected after
 * steps, so old state buffers and those copies do not pile up (collect.ts).
 * WebGPU (or another GPU provider): the session was opened with the state outputs as
 * `gpuOutputs`, so the state stays resident on the GPU between steps; only the other
 * (small) outputs come back to the host. Each GPU state tensor is disposed right after
 * the run that consumed it, and the session outlives all of them. Inputs that are the same
 * every step (`fixed`: frozen weights, masks) are uploaded once and fed from the GPU.
 */
import type { ort } from './ort.js';
import type { OpenOptions } from './providers.js';
import { collectGarbage } from './collect.js';
import { RuntimeSession } from './session.js';
import { GpuUploader } from './upload.js';
import { fromOrtCpu, numel, toOrt, type HostTensor } from './tensor.js';

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, int64: 8, float64: 8, float16: 2 };

/** Host state above this size has garbage collected after steps (collect.ts says why). */
const COLLECT_ABOVE_BYTES = 32 * 2 ** 20;

function bytesOf(tensors: Iterable<ort.Tensor>): number {
  let n = 0;
  for (const t of tensors) n += numel(t.dims) * (BYTES[t.type] ?? 4);
  return n;
}

/** stateOutputName → stateInputName. */
export type StateBinding = Record<string, string>;

export class StepLoop {
  private state: Map<string, ort.Tensor>;
  /** Inputs fed unchanged every step: on the GPU when the state is, else the host arrays. */
  private readonly fixed = new Map<string, ort.Tensor>();
  private uploader: GpuUploader | undefined;
  private readonly outToIn: [string, string][];
  private readonly inputOf: Map<string, string>;
  private readonly stateInputs: Set<string>;
  private readonly stateOutputs: Set<string>;
  private tail: Promise<unknown> = Promise.resolve();
  private stepCount = 0;
  private closed = false;
  /** Whether steps collect garbage: decided after the first step, once the state's home is known. */
  private collects: boolean | undefined;
  /** State outputs written over their input's buffer (CPU sessions). */
  private readonly inPlace: Set<string>;

  private constructor(
    readonly sessions: readonly RuntimeSession[],
    binding: StateBinding,
    initial: Map<string, ort.Tensor>,
    private readonly ownsSession: boolean,
    inPlace: readonly string[] = [],
  ) {
    this.outToIn = Object.entries(binding);
    this.inputOf = new Map(this.outToIn);
    for (const o of inPlace) if (!(o in binding)) throw new Error(`in-place output '${o}' is not a state output`);
    this.inPlace = new Set(inPlace);
    this.stateInputs = new Set(this.outToIn.map(([, i]) => i));
    this.stateOutputs = new Set(this.outToIn.map(([o]) => o));
    this.state = initial;
  }

  /** The first model's session (the loop's provider, its inputs and outputs). */
  get session(): RuntimeSession {
    return this.sessions[0];
  }

  /**
   * Check the binding against the models and take the initial state. The loop owns the
   * initial arrays from here on (they are fed without a copy): do not modify them.
   */
  static create(
    session: RuntimeSession | readonly RuntimeSession[],
    binding: StateBinding,
    initialState: Record<string, HostTensor>,
    ownsSession = false,
    inPlace: readonly string[] = [],
  ): StepLoop {
    const sessions = Array.isArray(session) ? session : [session as RuntimeSession];
    if (sessions.length === 0) throw new Error('a step loop needs a model');
    for (const other of sessions.slice(1)) StepLoop.checkBinding(other, binding);
    const { inputs } = StepLoop.checkBinding(sessions[0], binding);
    const seenInputs = new Set(Object.values(binding));
    const initial = new Map<string, ort.Tensor>();
    for (const inp of seenInputs) {
      const t = initialState[inp];
      if (!t) throw new Error(`initial state lacks '${inp}'`);
      const meta = inputs.get(inp)!;
      if (meta.dtype !== t.dtype) throw new Error(`initial state '${inp}': model wants ${meta.dtype}, got ${t.dtype}`);
      const fixed = meta.shape.length === t.dims.length && meta.shape.every((d, k) => typeof d !== 'number' || d === t.dims[k]);
      if (meta.shape.length > 0 && !fixed) {
        throw new Error(`initial state '${inp}': model wants [${meta.shape.join(',')}], got [${t.dims.join(',')}]`);
      }
      initial.set(inp, toOrt(t));
    }
    for (const name of Object.keys(initialState)) {
      if (!seenInputs.has(name)) throw new Error(`initial state has '${name}', which no state output feeds`);
    }
    return new StepLoop(sessions, binding, initial, ownsSession, inPlace);
  }

  /** The binding's outputs and inputs exist in the model, each input bound once, dtypes alike. */
  private static checkBinding(session: RuntimeSession, binding: StateBinding) {
    const info = session.info();
    const inputs = new Map(info.inputs.map((m) => [m.name, m]));
    const outputs = new Map(info.outputs.map((m) => [m.name, m]));
    const seenInputs = new Set<string>();
    for (const [out, inp] of Object.entries(binding)) {
      if (!outputs.has(out)) throw new Error(`state binding: the model has no output '${out}'`);
      if (!inputs.has(inp)) throw new Error(`state binding: the model has no input '${inp}'`);
      if (seenInputs.has(inp)) throw new Error(`state binding: input '${inp}' is bound twice`);
      seenInputs.add(inp);
      const o = outputs.get(out)!;
      const i = inputs.get(inp)!;
      if (o.dtype !== i.dtype) throw new Error(`state binding: '${out}' is ${o.dtype} but '${inp}' is ${i.dtype}`);
    }
    return { inputs };
  }

  /**
   * Open step models (one, or several sharing the binding) and start a loop over them that
   * owns the sessions. On a GPU provider the state outputs are kept on the GPU (added to
   * opts.gpuOutputs); on the CPU those in `inPlace` are written over their inputs.
   */
  static async open(
    model: Uint8Array | readonly Uint8Array[],
    opts: OpenOptions,
    binding: StateBinding,
    initialState: Record<string, HostTensor>,
    fixed: Record<string, HostTensor> = {},
    inPlace: readonly string[] = [],
  ): Promise<StepLoop> {
    const gpuOutputs = [...new Set([...(opts.gpuOutputs ?? []), ...Object.keys(binding)])];
    const sessions: RuntimeSession[] = [];
    let loop: StepLoop | undefined;
    try {
      for (const m of model instanceof Uint8Array ? [model] : model) sessions.push(await RuntimeSession.open(m, { ...opts, gpuOutputs }));
      loop = StepLoop.create(sessions, binding, initialState, true, inPlace);
      await loop.holdFixed(fixed);
      return loop;
    } catch (e) {
      if (loop) await loop.dispose();
      else for (const s of sessions) await s.dispose();
      throw e;
    }
  }

  /** Take the inputs fed unchanged every step; where the state lives on the GPU, upload them once. */
  private async holdFixed(fixed: Record<string, HostTensor>): Promise<void> {
    const inputs = new Set(this.session.inputNames);
    const onGpu = this.session.gpuOutputs.length > 0;
    for (const [name, t] of Object.entries(fixed)) {
      if (!inputs.has(name)) throw new Error(`fixed input '${name}': the model has no such input`);
      if (this.stateInputs.has(name)) throw new Error(`fixed input '${name}' is state`);
      this.fixed.set(name, onGpu ? await (this.uploader ??= new GpuUploader()).upload(t) : toOrt(t));
    }
  }

  /** Where each fixed input lives ('cpu' or 'gpu-buffer'), by name. */
  fixedLocations(): Record<string, string> {
    return Object.fromEntries([...this.fixed].map(([n, t]) => [n, t.location]));
  }

  get steps(): number {
    return this.stepCount;
  }

  /** Where each state tensor lives now ('cpu' or 'gpu-buffer'), by state input name. */
  stateLocations(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, t] of this.state) out[name] = t.location;
    return out;
  }

  /** Calls run one after another, in call order, whatever the caller awaits. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }

  private live(): void {
    if (this.closed) throw new Error('StepLoop: used after dispose');
  }

  /**
   * One step of model `model` (default the first): `batch` holds every non-state input.
   * Returns the non-state outputs (loss, metrics) on the host. If the run fails, the state
   * is left as it was, except in-place outputs, which it may have written.
   */
  step(batch: Record<string, HostTensor>, model = 0): Promise<Record<string, HostTensor>> {
    return this.serial(async () => {
      const session = this.sessions[model];
      if (!session) throw new Error(`step loop: no model ${model} (it has ${this.sessions.length})`);
      const result = await this.runStep(session, batch);
      // Here, not in runStep, whose frame still references the old state.
      this.collects ??= bytesOf([...this.state.values()].filter((t) => t.location === 'cpu')) > COLLECT_ABOVE_BYTES;
      if (this.collects) collectGarbage();
      return result;
    });
  }

  private async runStep(session: RuntimeSession, batch: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
    this.live();
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(batch)) {
      if (this.stateInputs.has(name)) throw new Error(`batch feeds '${name}', which is state`);
      if (this.fixed.has(name)) throw new Error(`batch feeds '${name}', which is a fixed input`);
      feeds[name] = toOrt(t);
    }
    for (const [name, t] of this.fixed) feeds[name] = t;
    for (const [name, t] of this.state) feeds[name] = t;
    const inPlace = session.provider === 'cpu' && this.inPlace.size > 0;
    const fetches = inPlace ? Object.fromEntries(session.outputNames.map((o) => [o, this.inPlace.has(o) ? this.state.get(this.inputOf.get(o)!)! : null])) : undefined;
    const out = await session.runOrt(feeds, fetches);

    const next = new Map<string, ort.Tensor>();
    for (const [o, i] of this.outToIn) next.set(i, inPlace && this.inPlace.has(o) ? this.state.get(i)! : out[o]!);
    const result: Record<string, HostTensor> = {};
    try {
      for (const [name, t] of Object.entries(out)) {
        if (!this.stateOutputs.has(name)) result[name] = await session.toHost(t);
      }
    } finally {
      for (const [name, t] of Object.entries(out)) {
        if (!this.stateOutputs.has(name) && t.location !== 'cpu') t.dispose();
      }
      // The old state's last use was this run: free its GPU buffers now.
      const old = this.state;
      this.state = next;
      for (const t of old.values()) if (t.location !== 'cpu') t.dispose();
      this.stepCount++;
    }
    return result;
  }

  /**
   * Host copies of the current state, by state input name (safe to keep or transfer):
   * all of it, or only the inputs named in `names`.
   */
  readState(names?: readonly string[]): Promise<Record<string, HostTensor>> {
    return this.hostState(names, true);
  }

  /**
   * The current state without a copy where it is on the host: views that the next step
   * overwrites (in place) or drops, to read before stepping again. GPU state is read back.
   */
  viewState(names?: readonly string[]): Promise<Record<string, HostTensor>> {
    return this.hostState(names, false);
  }

  private hostState(names: readonly string[] | undefined, copy: boolean): Promise<Record<string, HostTensor>> {
    return this.serial(async () => {
      this.live();
      for (const n of names ?? []) if (!this.state.has(n)) throw new Error(`readState: '${n}' is not state`);
      const wanted = names ? new Set(names) : undefined;
      const out: Record<string, HostTensor> = {};
      for (const [name, t] of this.state) {
        if (wanted && !wanted.has(name)) continue;
        if (t.location === 'cpu') {
          const h = fromOrtCpu(t);
          out[name] = copy ? { ...h, data: h.data.slice() } as HostTensor : h;
        } else {
          out[name] = await this.session.toHost(t);
        }
      }
      return out;
    });
  }

  /** Bytes of state held. */
  stateBytes(): number {
    return bytesOf(this.state.values());
  }

  /**
   * Dispose the GPU state, then the session if the loop owns it (StepLoop.open); a session
   * handed to StepLoop.create stays the caller's, to dispose after this.
   */
  dispose(): Promise<void> {
    return this.serial(async () => {
      if (this.closed) return;
      this.closed = true;
      for (const t of [...this.state.values(), ...this.fixed.values()]) if (t.location !== 'cpu') t.dispose();
      this.state.clear();
      this.fixed.clear();
      await this.uploader?.dispose();
      if (this.ownsSession) for (const s of this.sessions) await s.dispose();
      // The state this loop held (unless the caller keeps it) and the last run's copies, before
      // whatever comes next (a projection) allocates: once per loop, so never throttled.
      if (this.collects) collectGarbage(true);
    });
  }
}
