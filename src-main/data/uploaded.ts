/**
 * A file the user picked in the app arrives as bytes (the renderer never names paths). The
 * importers read paths, so the bytes go to a private temporary file named like the user's
 * (its extension gives the format) for the length of `use`; errors name the user's file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, sep } from 'node:path';

/** A file as the user picked it: its name and bytes. */
export interface FileBytes {
  fileName: string;
  bytes: Uint8Array;
}

export async function withUploadedFile<T>(fileName: string, bytes: Uint8Array, use: (path: string) => T | Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'taskpack-upload-'));
  const safeName = basename(fileName).replace(/[^\w.-]/g, '_') || 'data';
  try {
    const path = join(dir, safeName);
    writeFileSync(path, bytes);
    return await use(path);
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    throw Object.assign(new Error(e.message.split(join(dir, safeName)).join(fileName).split(dir + sep).join('')), { name: e.name });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
