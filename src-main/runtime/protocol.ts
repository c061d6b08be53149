/**
 * Messages between RuntimeWorker (main thread) and runtime-worker-entry.ts (the worker thread).
 * Plain data only: host tensors and the types of runtime/'s public API.
 */
import type { OpenOptions, ProviderStatus } from './providers.js';
import type { SessionInfo } from './session.js';
import type { StateBinding } from './step-loop.js';
import type { HostTensor } from './tensor.js';
import type { WireError } from './transfer.js';

export type Request =
  | { op: 'detect' }
  | { op: 'openSession'; model: Uint8Array; opts: OpenOptions }
  | { op: 'openLoop'; model: Uint8Array; opts: OpenOptions; binding: StateBinding; initialState: Record<string, HostTensor> }
  | { op: 'run'; handle: number; feeds: Record<string, HostTensor>; fetches?: string[] }
  | { op: 'step'; handle: number; batch: Record<string, HostTensor> }
  | { op: 'readState'; handle: number; names?: string[] }
  | { op: 'stateLocations'; handle: number }
  | { op: 'close'; handle: number };

export interface Opened {
  handle: number;
  info: SessionInfo;
}

/** The value each op answers with. */
export interface Replies {
  detect: ProviderStatus[];
  openSession: Opened;
  openLoop: Opened;
  run: Record<string, HostTensor>;
  step: Record<string, HostTensor>;
  readState: Record<string, HostTensor>;
  stateLocations: Record<string, string>;
  close: null;
}

export type Envelope = Request & { id: number };

export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError };
