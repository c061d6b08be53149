/** The worker side of PackHostWorker: one PackHost, requests served one at a time in arrival order. */
import { parentPort, workerData } from 'node:worker_threads';
import { previewData } from '../data/inspect.js';
import { withUploadedFile } from '../data/uploaded.js';
import { exportModelZip } from '../export/app-export.js';
import { importBertFolder } from '../model/bert/import.js';
import { storageComparison } from '../packs/storage.js';
import { PackHost } from './pack-host.js';
import type { HostEnvelope, HostReply, PackHostWorkerData } from './pack-host-worker.js';

const port = parentPort;
// node --test scans every file under dist/: outside a worker there is nothing to do.
if (port) {
  const { home, ...options } = workerData as PackHostWorkerData;
  const host = new PackHost(home, options);
  let queue: Promise<void> = Promise.resolve();

  const serve = async (r: HostEnvelope): Promise<unknown> => {
    switch (r.op) {
      case 'activate': return host.activate(r.id);
      case 'predict': return host.predict(r.id, r.rows);
      case 'evaluate': return host.evaluate(r.id, r.fileName, r.bytes, r.glue);
      case 'inspect': return withUploadedFile(r.fileName, r.bytes, (path) => previewData(path, r.choices));
      case 'forget': return host.forget(r.id);
      case 'active': return host.active;
      case 'compare': return storageComparison(home, { tasks: r.tasks });
      case 'export-model': return exportModelZip(home, r.id, r.format, r.zipPath);
      case 'import-base': return void importBertFolder(r.dir, home, { id: r.id, ...(r.displayName ? { displayName: r.displayName } : {}) });
    }
  };

  port.on('message', (r: HostEnvelope) => {
    queue = queue.then(async () => {
      let reply: HostReply;
      try {
        reply = { seq: r.seq, ok: true, value: await serve(r) };
      } catch (e) {
        reply = { seq: r.seq, ok: false, message: e instanceof Error ? e.message : String(e) };
      }
      port.postMessage(reply);
    });
  });
}
