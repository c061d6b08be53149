/**
 * Crash-safe filesystem writes: write a sibling temp file (or directory), fsync it, then
 * rename over the target and fsync the parent. A crash at any moment leaves either the
 * old content or the new, never a half-written file.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

const tempName = (target: string) => join(dirname(target), `.tmp-${basename(target)}-${randomBytes(6).toString('hex')}`);

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
}

/** Temp files and directories left by a crashed write start with this prefix. */
export const TEMP_PREFIX = '.tmp-';

/** Replace `target` with `data` atomically (creating parent directories). */
export function writeFileAtomic(target: string, data: Uint8Array | string): void {
  mkdirSync(dirname(target), { recursive: true });
  const tmp = tempName(target);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  try {
    const fd = openSync(tmp, 'wx', 0o644);
    try {
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally { closeSync(fd); }
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncPath(dirname(target));
}

/**
 * Create directory `target` atomically: `fill(tmpDir)` writes its files into a temp
 * sibling, which is then renamed into place. Fails if `target` exists.
 */
export function writeDirAtomic(target: string, fill: (tmpDir: string) => void): void {
  mkdirSync(dirname(target), { recursive: true });
  const tmp = tempName(target);
  mkdirSync(tmp);
  try {
    fill(tmp);
    fsyncPath(tmp);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  fsyncPath(dirname(target));
}

/**
 * Write `chunks` one after another into a new file (for writeDirAtomic's `fill`): large
 * tensors go out as they are, never first concatenated into a second copy in memory.
 */
export function writeChunks(path: string, chunks: Iterable<ArrayBufferView>): void {
  const fd = openSync(path, 'wx', 0o644);
  try {
    for (const c of chunks) {
      const bytes = new Uint8Array(c.buffer, c.byteOffset, c.byteLength);
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    }
    fsyncSync(fd);
  } finally { closeSync(fd); }
}
