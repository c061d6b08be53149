/**
 * A session as the rest of the runtime sees it: host tensors in and out, the provider it
 * really runs on, and the guards that keep GPU buffers away from CPU sessions.
 */
import { ort } from './ort.js';
import { openOrtSession, type OpenedSession, type OpenOptions, type ProviderChoice, type ProviderName } from './providers.js';
import { GpuReader } from './readback.js';
import { fromOrtCpu, toOrt, type HostDType, type HostTensor } from './tensor.js';

export interface ValueMeta {
  name: string;
  /** A host dtype, or the ORT type name for the few others (e.g. 'float16'). */
  dtype: HostDType | string;
  /** Fixed sizes, symbolic names; [] when unknown. */
  shape: (number | string)[];
}

export interface SessionInfo extends ProviderChoice {
  inputs: ValueMeta[];
  outputs: ValueMeta[];
  gpuOutputs: string[];
}

function metaOf(m: ort.InferenceSession.ValueMetadata): ValueMeta {
  if (!m.isTensor) return { name: m.name, dtype: 'non-tensor', shape: [] };
  return { name: m.name, dtype: m.type, shape: [...m.shape] };
}

export class RuntimeSession {
  readonly requested: ProviderName;
  readonly provider: ProviderName;
  readonly fallbackReason?: string;
  readonly partialFallback?: string;
  readonly gpuOutputs: readonly string[];
  private ortSession: ort.InferenceSession | undefined;
  private readonly reader: GpuReader | undefined;

  private constructor(opened: OpenedSession) {
    this.requested = opened.requested;
    this.provider = opened.provider;
    if (opened.fallbackReason !== undefined) this.fallbackReason = opened.fallbackReason;
    if (opened.partialFallback !== undefined) this.partialFallback = opened.partialFallback;
    this.gpuOutputs = opened.gpuOutputs;
    this.ortSession = opened.session;
    this.reader = opened.gpuOutputs.length > 0 ? new GpuReader() : undefined;
  }

  /** Open a model; see openOrtSession for the provider choice and fallback. */
  static async open(model: Uint8Array, opts: OpenOptions): Promise<RuntimeSession> {
    return new RuntimeSession(await openOrtSession(model, opts));
  }

  private get live(): ort.InferenceSession {
    if (!this.ortSession) throw new Error('RuntimeSession: used after dispose');
    return this.ortSession;
  }

  get inputNames(): readonly string[] {
    return this.live.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.live.outputNames;
  }

  info(): SessionInfo {
    const s = this.live;
    const out: SessionInfo = {
      requested: this.requested,
      provider: this.provider,
      inputs: s.inputMetadata.map(metaOf),
      outputs: s.outputMetadata.map(metaOf),
      gpuOutputs: [...this.gpuOutputs],
    };
    if (this.fallbackReason !== undefined) out.fallbackReason = this.fallbackReason;
    if (this.partialFallback !== undefined) out.partialFallback = this.partialFallback;
    return out;
  }

  /**
   * runtime/ only: run with ORT tensors (GPU buffers allowed on GPU sessions), outputs left
   * where the session put them. Refuses a GPU buffer on a CPU session (ORT would read
   * garbage without a word). `fetches` as a record names a pre-allocated tensor (or null) per
   * output: ORT writes that output into it.
   */
  async runOrt(feeds: Record<string, ort.Tensor>, fetches?: readonly string[] | Record<string, ort.Tensor | null>): Promise<Record<string, ort.Tensor>> {
    const s = this.live;
    if (this.provider === 'cpu') {
      for (const [name, t] of Object.entries(feeds)) {
        if (t.location !== 'cpu') throw new Error(`input '${name}' is a ${t.location} tensor: a CPU session cannot read it`);
      }
    }
    const out = fetches ? await s.run(feeds, fetches) : await s.run(feeds);
    return out as Record<string, ort.Tensor>;
  }

  /** Host tensors in, host tensors out (GPU outputs are read back). */
  async run(feeds: Record<string, HostTensor>, fetches?: readonly string[]): Promise<Record<string, HostTensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrt(t);
    const out = await this.runOrt(ortFeeds, fetches);
    const host: Record<string, HostTensor> = {};
    try {
      for (const [name, t] of Object.entries(out)) host[name] = await this.toHost(t);
    } finally {
      for (const t of Object.values(out)) if (t.location !== 'cpu') t.dispose();
    }
    return host;
  }

  /** runtime/ only: a host copy of an output of this session (GPU ones read back). */
  async toHost(t: ort.Tensor): Promise<HostTensor> {
    if (t.location === 'cpu') return fromOrtCpu(t);
    if (!this.reader) throw new Error(`a ${t.location} tensor from a session with no GPU outputs`);
    return this.reader.read(t);
  }

  /** Release the session (and its read-back sessions). Its GPU outputs must be disposed first. */
  async dispose(): Promise<void> {
    const s = this.ortSession;
    this.ortSession = undefined;
    await this.reader?.dispose();
    await s?.release();
  }
}
