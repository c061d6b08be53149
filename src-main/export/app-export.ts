/**
 * The app's model export (Task packs page): the folder exportModel writes, zipped into the
 * file a download ticket names (downloads.ts). Runs in the pack-host worker.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportModel, type ExportFormat } from './export-model.js';
import { zipFolder } from './zip-folder.js';

/** A task or file name as a safe file name: runs of other characters become '-'. */
export const fileSlug = (name: string, fallback: string) => name.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || fallback;

export function exportModelZip(home: string, packRef: string, format: ExportFormat, zipPath: string): { fileName: string; bytes: number } {
  const work = mkdtempSync(join(tmpdir(), 'taskpack-export-'));
  try {
    const result = exportModel(home, packRef, format, join(work, 'model'));
    const root = `${fileSlug(result.pack.name, result.pack.id)}-${format}`;
    return { fileName: `${root}.zip`, bytes: zipFolder(join(work, 'model'), zipPath, root) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
