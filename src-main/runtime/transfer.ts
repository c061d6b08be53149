/**
 * Moving host tensors between threads: typed arrays that own their whole ArrayBuffer are
 * transferred (detached on the sending side, no copy); views into a larger buffer (a Node
 * Buffer from its pool, a slice) are copied into a buffer of their own first, so the
 * sender's memory is never detached behind its back and only the view's bytes travel.
 */
import { numel, type HostData, type HostTensor } from './tensor.js';

function owns(data: HostData): boolean {
  return data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
}

/** The array itself when it owns its buffer, else a compact copy. */
export function compact<T extends HostData | Uint8Array>(data: T): T {
  return owns(data) ? data : (data.slice() as T);
}

/**
 * Prepare tensors for postMessage: returns the tensors to send (compacted) and the
 * buffers to list as transferable. A buffer is listed once even if shared.
 */
export function forTransfer(
  tensors: Record<string, HostTensor>,
  transfer: ArrayBuffer[] = [],
): { tensors: Record<string, HostTensor>; transfer: ArrayBuffer[] } {
  const out: Record<string, HostTensor> = {};
  const listed = new Set(transfer);
  for (const [name, t] of Object.entries(tensors)) {
    // postMessage silently drops a message whose transfer list holds a detached buffer.
    if (t.data.length !== numel(t.dims)) {
      throw new RangeError(`tensor '${name}': [${t.dims.join(',')}] needs ${numel(t.dims)} values, has ${t.data.length} (a buffer already handed to the worker?)`);
    }
    const data = compact(t.data);
    out[name] = { dtype: t.dtype, dims: [...t.dims], data } as HostTensor;
    const buf = data.buffer as ArrayBuffer;
    if (!listed.has(buf)) {
      listed.add(buf);
      transfer.push(buf);
    }
  }
  return { tensors: out, transfer };
}

/** Error → plain object for postMessage, and back (message, name and stack survive). */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
}

export function toWireError(e: unknown): WireError {
  if (e instanceof Error) {
    const w: WireError = { name: e.name, message: e.message };
    if (e.stack !== undefined) w.stack = e.stack;
    return w;
  }
  return { name: 'Error', message: String(e) };
}

export function fromWireError(w: WireError, context: string): Error {
  const e = new Error(`${w.message}`);
  e.name = w.name;
  e.stack = `${w.name}: ${w.message}\n    [in runtime worker: ${context}]${w.stack ? '\n' + w.stack.split('\n').slice(1).join('\n') : ''}`;
  return e;
}
