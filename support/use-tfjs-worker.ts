/** A worker thread running the TF.js reference (parity tests spread TF.js's slow CPU kernels over the cores). */
import { parentPort } from 'node:worker_threads';
import { tfjsUseReference } from './use-helpers.js';

// node --test runs every file under test/: outside a worker thread there is nothing to do.
const port = parentPort;
if (port) await serve(port);

async function serve(port: NonNullable<typeof parentPort>) {
  const reference = await tfjsUseReference('cpu');
  port.on('message', async (batch: number[][]) => {
    try {
      const out = await reference.embed(batch);
      port.postMessage({ out }, [out.buffer as ArrayBuffer]);
    } catch (e) {
      port.postMessage({ error: (e as Error).message });
    }
  });
  port.postMessage({ ready: true });
}
