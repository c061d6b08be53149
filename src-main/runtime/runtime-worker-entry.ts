/**
 * The worker-thread side of RuntimeWorker: owns every session and step loop, so that
 * session.run (synchronous inside ORT, whole seconds for a training step) never blocks the
 * main thread's event loop. Started by runtime-worker.ts; not imported by anything else.
 */
import { parentPort } from 'node:worker_threads';
import type { Envelope, Opened, Reply, Request } from './protocol.js';
import { detectProviders } from './providers.js';
import { RuntimeSession } from './session.js';
import { StepLoop } from './step-loop.js';
import type { HostTensor } from './tensor.js';
import { forTransfer, toWireError } from './transfer.js';

const port = parentPort;
if (!port) throw new Error('runtime/runtime-worker-entry.ts must run as a worker thread (use RuntimeWorker)');

type Entry = { kind: 'session'; session: RuntimeSession } | { kind: 'loop'; loop: StepLoop };
const entries = new Map<number, Entry>();
let nextHandle = 1;

function entry(handle: number): Entry {
  const e = entries.get(handle);
  if (!e) throw new Error(`no open session or loop with handle ${handle}`);
  return e;
}

function loopOf(handle: number): StepLoop {
  const e = entry(handle);
  if (e.kind !== 'loop') throw new Error(`handle ${handle} is a session, not a step loop`);
  return e.loop;
}

function register(e: Entry, session: RuntimeSession): Opened {
  const handle = nextHandle++;
  entries.set(handle, e);
  return { handle, info: session.info() };
}

async function handle(req: Request): Promise<{ value: unknown; tensors?: Record<string, HostTensor> }> {
  switch (req.op) {
    case 'detect':
      return { value: await detectProviders() };
    case 'openSession': {
      const session = await RuntimeSession.open(req.model, req.opts);
      return { value: register({ kind: 'session', session }, session) };
    }
    case 'openLoop': {
      const loop = await StepLoop.open(req.model, req.opts, req.binding, req.initialState);
      return { value: register({ kind: 'loop', loop }, loop.session) };
    }
    case 'run': {
      const e = entry(req.handle);
      if (e.kind !== 'session') throw new Error(`handle ${req.handle} is a step loop: use step()`);
      return { value: null, tensors: await e.session.run(req.feeds, req.fetches) };
    }
    case 'step':
      return { value: null, tensors: await loopOf(req.handle).step(req.batch) };
    case 'readState':
      return { value: null, tensors: await loopOf(req.handle).readState(req.names) };
    case 'stateLocations':
      return { value: loopOf(req.handle).stateLocations() };
    case 'close': {
      const e = entries.get(req.handle);
      entries.delete(req.handle);
      if (e?.kind === 'loop') await e.loop.dispose();
      if (e?.kind === 'session') await e.session.dispose();
      return { value: null };
    }
  }
}

port.on('message', (msg: Envelope) => {
  handle(msg).then(
    ({ value, tensors }) => {
      if (tensors) {
        const { tensors: out, transfer } = forTransfer(tensors);
        port.postMessage({ id: msg.id, ok: true, value: out } satisfies Reply, transfer);
      } else {
        port.postMessage({ id: msg.id, ok: true, value } satisfies Reply);
      }
    },
    (e: unknown) => port.postMessage({ id: msg.id, ok: false, error: toWireError(e) } satisfies Reply),
  );
});
