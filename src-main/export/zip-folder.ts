/**
 * A model folder as one zip for the app to hand over (fflate, entries stored as they are:
 * float weights barely deflate). Files are read and written in 1 MiB chunks, so a model of
 * any size passes through without a second copy in memory; fflate has no Zip64, so the
 * total must stay under 4 GiB (a BERT-large export is 1.3 GB).
 */
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Zip, ZipPassThrough } from 'fflate';
import { writeFileAtomic } from '../durable/atomic.js';

const CHUNK = 1 << 20;
const ZIP_LIMIT = 2 ** 32 - 1;

/** Write `dir`'s files (sorted, not recursive) into the zip `target` under `root/`, atomically. Returns its size. */
export function zipFolder(dir: string, target: string, root: string): number {
  const names = readdirSync(dir).filter((n) => statSync(join(dir, n)).isFile()).sort();
  const total = names.reduce((a, n) => a + statSync(join(dir, n)).size, 0);
  if (total >= ZIP_LIMIT) throw new Error(`the model's files come to ${total} bytes: over what a zip without Zip64 holds (4 GiB); use \`taskpack export-model\``);
  let size = 0;
  writeFileAtomic(target, zipChunks(dir, names, root, (n) => (size += n)));
  return size;
}

/** The zip's bytes, produced lazily as the files are read. */
function* zipChunks(dir: string, names: readonly string[], root: string, counted: (n: number) => void): Generator<Uint8Array> {
  const out: Uint8Array[] = [];
  let failed: Error | null = null;
  // fflate calls back synchronously for stored entries: each push leaves its output in `out`.
  const zip = new Zip((err, chunk) => {
    if (err) failed = err;
    else { out.push(chunk); counted(chunk.byteLength); }
  });
  const drain = function* () {
    if (failed) throw failed;
    yield* out.splice(0);
  };
  for (const name of names) {
    const entry = new ZipPassThrough(`${root}/${name}`);
    zip.add(entry);
    const fd = openSync(join(dir, name), 'r');
    try {
      const size = statSync(join(dir, name)).size;
      if (size === 0) entry.push(new Uint8Array(0), true);
      for (let at = 0; at < size;) {
        const buf = new Uint8Array(Math.min(CHUNK, size - at));
        for (let got = 0; got < buf.length;) got += readSync(fd, buf, got, buf.length - got, at + got);
        at += buf.length;
        entry.push(buf, at === size);
        yield* drain();
      }
    } finally {
      closeSync(fd);
    }
  }
  zip.end();
  yield* drain();
}
