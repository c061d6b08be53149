/**
 * Execution providers: which ones work here, and opening a session on one with an explicit,
 * reported fallback to the CPU. The caller always learns which provider a session runs on
 * and, when that is not the one it asked for, why.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ort } from './ort.js';
import { probeModel } from './tiny-model.js';

/** Every provider this code knows, in the order worth trying. */
export const PROVIDER_NAMES = ['cpu', 'webgpu', 'cuda', 'dml', 'coreml'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export interface ProviderStatus {
  name: ProviderName;
  ok: boolean;
  /** Why it does not work (the ORT error, shortened), when ok is false. */
  reason?: string;
}

export interface ExternalDataEntry {
  /** The location string written in the model's external tensors. */
  path: string;
  data: Uint8Array;
}

export interface OpenOptions {
  provider: ProviderName;
  externalData?: ExternalDataEntry[];
  /**
   * Make ORT refuse (instead of silently splitting) a graph with nodes the requested
   * provider cannot run. Meaningless for 'cpu', where it is ignored.
   */
  disableCpuFallback?: boolean;
  /**
   * Outputs to leave on the GPU (`preferredOutputLocation: 'gpu-buffer'`). WebGPU only (the
   * one GPU provider this is built and tested for); elsewhere they come back to the host.
   */
  gpuOutputs?: string[];
  /**
   * When the requested provider cannot open the model, open it on the CPU and report why
   * (default true). With false, the error is thrown instead.
   */
  fallbackToCpu?: boolean;
  /** ORT intra-op threads (CPU EP); ORT's default when absent. */
  intraOpThreads?: number;
  /**
   * false: no CPU memory arena (and no memory pattern, which allocates from it): each
   * intermediate is freed when its last reader ran, instead of the arena keeping its
   * high-water mark, grown in doubling chunks, for the session's life. Default true (ORT's).
   */
  cpuArena?: boolean;
}

/** Which provider a session actually runs on, and why if it is not the requested one. */
export interface ProviderChoice {
  requested: ProviderName;
  /** The provider the session runs on. */
  provider: ProviderName;
  /** Why the whole session runs on the CPU instead of the requested provider. */
  fallbackReason?: string;
  /**
   * Set when the session does run on the requested provider but ORT placed some nodes on
   * the CPU EP (no kernel for them there): slower, and state crosses to the host.
   * Open with disableCpuFallback to make that an error instead.
   */
  partialFallback?: string;
}

export interface OpenedSession extends ProviderChoice {
  /** runtime/ only: never hand this out of the folder. */
  session: ort.InferenceSession;
  /** The outputs that this session leaves on the GPU. */
  gpuOutputs: string[];
}

const ORT_EP_NAME: Record<ProviderName, string> = {
  cpu: 'cpu',
  webgpu: 'webgpu',
  cuda: 'cuda',
  dml: 'dml',
  coreml: 'coreml',
};

/** Providers the binding was built with (bundled or loadable), in the order worth trying. */
export function listedProviders(): ProviderName[] {
  const listed = new Set<string>(ort.listSupportedBackends().map((b) => b.name));
  return PROVIDER_NAMES.filter((p) => p === 'cpu' || p === 'webgpu' || listed.has(ORT_EP_NAME[p]));
}

/**
 * Lavapipe's WebGPU adapter (the CI's software GPU, .ci/run) needs XDG_RUNTIME_DIR (Mesa's
 * window-system code looks it up). When it is unset, point it at a fresh private (0700)
 * directory before the first WebGPU session. Call it on the main thread: a worker's process.env is a private
 * copy that native code never sees.
 */
export function ensureXdgRuntimeDir(): void {
  if (process.platform !== 'linux' || process.env.XDG_RUNTIME_DIR) return;
  process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'taskpack-xdg-'));
}

/** First line of an ORT error, without the source-path prefix ORT puts in front. */
export function shortReason(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const line = msg.split('\n').find((l) => l.trim() !== '') ?? msg;
  return line.replace(/^\S*onnxruntime_src\S*\s+/, '').trim().slice(0, 500);
}

/**
 * Diagnostics: with TASKPACK_ORT_PROFILE=<prefix>, sessions write ONNX Runtime's profile
 * (<prefix>_<time>.json) and their optimized model (<prefix>-opt.onnx, the last session's),
 * which scripts/ort-liveness.ts reads.
 */
const profilePrefix = process.env.TASKPACK_ORT_PROFILE;

/**
 * TASKPACK_THREADS=N: ONNX Runtime's intra-op threads for every session that does not set
 * its own, so that a run can leave cores to the rest of the machine, or two runs can share
 * it without their thread pools contending for the same cores (absent: ORT's default, one
 * per core). Read at each session's opening, so child processes inherit it.
 */
export function threadsFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.TASKPACK_THREADS?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new Error(`TASKPACK_THREADS must be a whole number of threads from 1 to 256, got '${env.TASKPACK_THREADS}'`);
  return n;
}

function sessionOptions(provider: ProviderName, o: OpenOptions, quiet: boolean): ort.InferenceSession.SessionOptions {
  const opts: ort.InferenceSession.SessionOptions = {
    executionProviders: [ORT_EP_NAME[provider]],
  };
  if (quiet) opts.logSeverityLevel = 4;
  const threads = o.intraOpThreads ?? threadsFromEnv();
  if (threads !== undefined) opts.intraOpNumThreads = threads;
  if (o.cpuArena === false) Object.assign(opts, { enableCpuMemArena: false, enableMemPattern: false });
  if (profilePrefix) Object.assign(opts, { enableProfiling: true, profileFilePrefix: profilePrefix, optimizedModelFilePath: `${profilePrefix}-opt.onnx` });
  if (o.externalData?.length) opts.externalData = o.externalData.map((e) => ({ path: e.path, data: e.data }));
  if (provider !== 'cpu') {
    if (o.disableCpuFallback) opts.extra = { session: { disable_cpu_ep_fallback: '1' } };
    if (provider === 'webgpu' && o.gpuOutputs?.length) {
      const where: Record<string, 'gpu-buffer'> = {};
      for (const name of o.gpuOutputs) where[name] = 'gpu-buffer';
      opts.preferredOutputLocation = where;
    }
  }
  return opts;
}

async function create(model: Uint8Array, provider: ProviderName, o: OpenOptions, quiet = false): Promise<ort.InferenceSession> {
  if (provider === 'webgpu') ensureXdgRuntimeDir();
  return ort.InferenceSession.create(model, sessionOptions(provider, o, quiet));
}

/** A caller's mistake, not the provider's: gpuOutputs naming outputs the model lacks. */
function badGpuOutputs(session: ort.InferenceSession, o: OpenOptions): Error | undefined {
  const missing = (o.gpuOutputs ?? []).filter((n) => !session.outputNames.includes(n));
  return missing.length ? new Error(`gpuOutputs names outputs the model lacks: ${missing.join(', ')}`) : undefined;
}

/** ORT's words when a graph has nodes for the CPU EP and disable_cpu_ep_fallback is set. */
const CPU_NODES = /assigned to the default CPU EP, but fallback to CPU EP has been explicitly disabled/;

/**
 * Open on a non-CPU provider. Unless the caller disabled CPU fallback itself, the strict
 * open comes first, so that a graph ORT would quietly split is reported (partialFallback).
 */
async function openOnDevice(model: Uint8Array, opts: OpenOptions): Promise<OpenedSession> {
  const requested = opts.provider;
  const gpuOutputs = requested === 'webgpu' ? [...(opts.gpuOutputs ?? [])] : [];
  try {
    const session = await create(model, requested, { ...opts, disableCpuFallback: true }, !opts.disableCpuFallback);
    return { session, requested, provider: requested, gpuOutputs };
  } catch (e) {
    if (opts.disableCpuFallback || !CPU_NODES.test(String(e))) throw e;
  }
  const session = await create(model, requested, opts);
  const partialFallback = `some nodes have no ${requested} kernel and run on the CPU EP`;
  return { session, requested, provider: requested, partialFallback, gpuOutputs };
}

/**
 * Open a model on the requested provider. If that fails and fallbackToCpu is not false,
 * the model is opened on the CPU and `fallbackReason` says why; nothing falls back silently.
 */
export async function openOrtSession(model: Uint8Array, opts: OpenOptions): Promise<OpenedSession> {
  const requested = opts.provider;
  if (requested === 'cpu') return { session: await create(model, 'cpu', opts), requested, provider: 'cpu', gpuOutputs: [] };
  try {
    return await openOnDevice(model, opts);
  } catch (e) {
    if (opts.fallbackToCpu === false) throw e;
    const fallbackReason = `${requested} failed: ${shortReason(e)}`;
    const session = await create(model, 'cpu', opts);
    const bad = badGpuOutputs(session, opts);
    if (bad) {
      await session.release();
      throw bad;
    }
    return { session, requested, provider: 'cpu', fallbackReason, gpuOutputs: [] };
  }
}

/** Open and run the probe model (y = a + a) on one provider, with no node allowed on the CPU. */
export async function probeProvider(name: ProviderName): Promise<ProviderStatus> {
  let session: ort.InferenceSession | undefined;
  try {
    session = await create(probeModel(), name, { provider: name, disableCpuFallback: true }, true);
    const a = new ort.Tensor('float32', Float32Array.of(1, 2, 3), [3]);
    const y = (await session.run({ a, b: a })).y;
    const got = Array.from(y.data as Float32Array);
    if (got.join() !== '2,4,6') return { name, ok: false, reason: `probe computed [${got.join(', ')}], expected [2, 4, 6]` };
    return { name, ok: true };
  } catch (e) {
    return { name, ok: false, reason: shortReason(e) };
  } finally {
    await session?.release();
  }
}

/**
 * For a provider the binding lists but does not bundle (CUDA, TensorRT): why it cannot
 * load, when its shared library is not beside the binding. ORT would say the same, but
 * only after logging an error to stderr.
 */
function missingLibrary(name: ProviderName): string | undefined {
  const backend = ort.listSupportedBackends().find((b) => b.name === ORT_EP_NAME[name]);
  if (!backend || backend.bundled) return undefined;
  const lib = { linux: `libonnxruntime_providers_${name}.so`, win32: `onnxruntime_providers_${name}.dll` }[
    process.platform as string
  ];
  if (!lib) return undefined;
  try {
    const req = createRequire(import.meta.url);
    const dir = join(dirname(req.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
    return existsSync(join(dir, lib)) ? undefined : `not installed: ${lib} is not in ${dir}`;
  } catch {
    return undefined;
  }
}

/** Try every provider this binding lists (cpu and webgpu always, cuda/dml/coreml where listed). */
export async function detectProviders(): Promise<ProviderStatus[]> {
  const out: ProviderStatus[] = [];
  for (const p of listedProviders()) {
    const missing = missingLibrary(p);
    out.push(missing ? { name: p, ok: false, reason: missing } : await probeProvider(p));
  }
  return out;
}
