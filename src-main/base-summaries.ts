/**
 * Bases as the app shows them (`bases:list`) and the checks on a base the app imports: the
 * id (not a shipped one's), and where each uploaded file of a Hugging Face folder lands
 * (`<home>/imports/<uploadId>/<name>`, only the names the import reads).
 */
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BASE_FILE_NAMES, type BaseSummary } from './ipc/contract.js';
import { checkBaseId, readBaseManifest } from './model/base-store.js';
import { listBases, shippedBases } from './model/registry.js';
import { dependentPacks, layerCount, weightBytes } from './packs/bases.js';
import { PackStore } from './packs/store.js';
import { trainingPeaks } from './train/memory-estimate.js';

/** An upload left this long is abandoned (a closed page): removed by the next one. */
const UPLOAD_MAX_AGE_MS = 60 * 60 * 1000;

export function baseSummaries(home: string): BaseSummary[] {
  const packs = new PackStore(home).list();
  return listBases(home).map((b) => {
    const m = b.installed ? readBaseManifest(home, b.id) : undefined;
    const deps = m ? dependentPacks(home, m) : packs.filter((p) => p.base.id === b.id);
    return {
      id: b.id, displayName: b.displayName, architecture: b.architecture, shipped: b.shipped, installed: b.installed, parameters: b.parameters ?? null,
      trainingPeakBytes: m ? trainingPeaks(m.tensors) : null,
      fingerprint: m?.fingerprint ?? null, layers: m ? layerCount(m) : null, bytes: m ? weightBytes(m) : null,
      packs: deps.map((p) => ({ id: p.id, name: p.task.name })),
    };
  });
}

/** The id an imported base may take: valid, and not a shipped base's. */
export function importId(id: string): string {
  if (shippedBases().some((s) => s.id === id)) throw new Error(`'${id}' is the id of a shipped base; choose another`);
  return checkBaseId(id);
}

/** Where file `name` of upload `uploadId` goes; abandoned uploads are swept first. */
export function uploadPath(imports: string, uploadId: string, name: string): string {
  if (!(BASE_FILE_NAMES as readonly string[]).includes(name)) throw new Error(`'${name}' is not a file a base import reads (${BASE_FILE_NAMES.join(', ')})`);
  mkdirSync(imports, { recursive: true });
  for (const n of readdirSync(imports)) {
    if (n !== uploadId && Date.now() - statSync(join(imports, n)).mtimeMs > UPLOAD_MAX_AGE_MS) rmSync(join(imports, n), { recursive: true, force: true });
  }
  mkdirSync(join(imports, uploadId), { recursive: true });
  return join(imports, uploadId, name);
}
