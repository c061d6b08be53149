/**
 * runtime/'s public face: host tensors and plain types only, no onnxruntime type.
 *
 * The app runs sessions in a RuntimeWorker (session.run blocks the thread it runs on for
 * the whole run). openSession and openStepLoop run in the calling thread: for scripts,
 * benchmarks and tests that have no event loop to keep alive.
 */
import type { OpenOptions, ProviderChoice } from './providers.js';
import { RuntimeSession, type SessionInfo } from './session.js';
import { StepLoop, type StateBinding } from './step-loop.js';
import type { HostTensor } from './tensor.js';

export {
  detectProviders,
  listedProviders,
  type ExternalDataEntry,
  type OpenOptions,
  type ProviderChoice,
  PROVIDER_NAMES,
  type ProviderName,
  type ProviderStatus,
} from './providers.js';
export type { SessionInfo, ValueMeta } from './session.js';
export type { StateBinding } from './step-loop.js';
export {
  hostTensor,
  numel,
  scalarF32,
  scalarValue,
  HOST_DTYPES,
  type HostData,
  type HostDataOf,
  type HostDType,
  type HostTensor,
} from './tensor.js';
export { RuntimeWorker, WorkerLoop, WorkerSession, workerEntry, type WorkerOpenOptions } from './runtime-worker.js';
export { ensureXdgRuntimeDir } from './providers.js';

/** A session in this thread, host tensors in and out. */
export interface HostSession extends ProviderChoice {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  info(): SessionInfo;
  run(feeds: Record<string, HostTensor>, fetches?: readonly string[]): Promise<Record<string, HostTensor>>;
  dispose(): Promise<void>;
}

/** A step loop in this thread (see StepLoop). */
export interface HostStepLoop {
  readonly steps: number;
  info(): SessionInfo;
  /** A run of model `model` (default 0) of the loop's models. */
  step(batch: Record<string, HostTensor>, model?: number): Promise<Record<string, HostTensor>>;
  /** All the state, or only the inputs named. */
  readState(names?: readonly string[]): Promise<Record<string, HostTensor>>;
  /** The same without a copy on the CPU: views valid until the next step (see StepLoop). */
  viewState(names?: readonly string[]): Promise<Record<string, HostTensor>>;
  stateLocations(): Record<string, string>;
  fixedLocations(): Record<string, string>;
  dispose(): Promise<void>;
}

/**
 * Open a model in this thread on the requested provider; on failure it falls back to the
 * CPU (unless fallbackToCpu is false) and says why in `fallbackReason`.
 */
export function openSession(model: Uint8Array, opts: OpenOptions): Promise<HostSession> {
  return RuntimeSession.open(model, opts);
}

/**
 * Open a training-step model (or several sharing the state binding) in this thread and
 * loop over it (state fed back each step).
 */
export async function openStepLoop(
  model: Uint8Array | readonly Uint8Array[],
  opts: OpenOptions,
  binding: StateBinding,
  initialState: Record<string, HostTensor>,
  /** Inputs fed unchanged every step (uploaded once where the state lives on a GPU). */
  fixed: Record<string, HostTensor> = {},
  /** State outputs that the CPU may write over their own input's buffer (see StepLoop). */
  inPlace: readonly string[] = [],
): Promise<HostStepLoop> {
  const loop = await StepLoop.open(model, opts, binding, initialState, fixed, inPlace);
  return {
    get steps() {
      return loop.steps;
    },
    info: () => loop.session.info(),
    step: (batch, model) => loop.step(batch, model),
    readState: (names) => loop.readState(names),
    viewState: (names) => loop.viewState(names),
    stateLocations: () => loop.stateLocations(),
    fixedLocations: () => loop.fixedLocations(),
    dispose: () => loop.dispose(),
  };
}
