/**
 * Crash-safe filesystem writes: write a sibling temp file (or directory), fsync every file
 * in it, rename it over the target and fsync the parent. A crash at any moment leaves either
 * the old content or the new, never a half-written file. A directory also gets
 * `checksums.json` (the sha256 of each file, written last), so a file that a power loss
 * left torn or zero-filled is detected on load (verifyDir, readVerified) instead of used.
 *
 * Temp names carry the writer's pid, so a sweep can tell a dead writer's leftovers from
 * another live process's write in flight (isAbandonedTemp).
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pidAlive } from './lock.js';

/** Temp files and directories left by a crashed write start with this prefix. */
export const TEMP_PREFIX = '.tmp-';
/** Written last into a directory by writeDirAtomic: {format: 1, files: {name: sha256 hex}}. */
export const CHECKSUMS = 'checksums.json';
/** A temp file older than this is abandoned whoever wrote it: no write takes an hour. */
const TEMP_MAX_AGE_MS = 60 * 60 * 1000;

const tempName = (target: string) => join(dirname(target), `${TEMP_PREFIX}${process.pid}-${basename(target)}-${randomBytes(6).toString('hex')}`);

export class DamagedError extends Error {
  override readonly name = 'DamagedError';
}

/** Whether `name` (in `dir`) is a temp file or directory whose writer is dead or that is too old to be in flight. */
export function isAbandonedTemp(dir: string, name: string): boolean {
  if (!name.startsWith(TEMP_PREFIX)) return false;
  const pid = Number(/^\.tmp-(\d+)-/.exec(name)?.[1]);
  if (!pid || !pidAlive(pid)) return true;
  try { return Date.now() - lstatSync(join(dir, name)).mtimeMs > TEMP_MAX_AGE_MS; } catch { return false; }
}

/** Remove the abandoned temp files in `dir` (call it holding the directory's lock). */
export function sweepTemps(dir: string): void {
  if (!existsSync(dir)) return;
  for (const n of readdirSync(dir)) if (isAbandonedTemp(dir, n)) rmSync(join(dir, n), { recursive: true, force: true });
}

/** Directory fsync is not supported on Windows (EPERM/EISDIR) and some filesystems (EINVAL): nothing to do there. */
const UNSUPPORTED_DIR_FSYNC = new Set(['EPERM', 'EISDIR', 'EINVAL']);

function fsyncPath(path: string, isDir: boolean): void {
  try {
    const fd = openSync(path, 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
  } catch (e) {
    if (!(isDir && UNSUPPORTED_DIR_FSYNC.has((e as NodeJS.ErrnoException).code ?? ''))) throw e;
  }
}

/** fsync every file under `dir`, then each directory (deepest first). */
function fsyncTree(dir: string): void {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) fsyncTree(p);
    else fsyncPath(p, false);
  }
  fsyncPath(dir, true);
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A file's sha256, read in chunks (a checkpoint or base can be gigabytes). */
function sha256File(path: string): string {
  const hash = createHash('sha256'), chunk = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, 'r');
  try {
    for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0;) hash.update(chunk.subarray(0, n));
  } finally { closeSync(fd); }
  return hash.digest('hex');
}

/** Replace `target` with `data` atomically (creating parent directories); chunks are written as they come (see writeChunks). */
export function writeFileAtomic(target: string, data: Uint8Array | string | Iterable<ArrayBufferView>): void {
  mkdirSync(dirname(target), { recursive: true });
  const tmp = tempName(target);
  try {
    writeChunks(tmp, typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncPath(dirname(target), true);
}

/**
 * Create directory `target` atomically: `fill(tmpDir)` writes its files into a temp
 * sibling; their checksums are added, everything is fsynced, and the temp directory is
 * renamed into place. Fails if `target` exists, unless `replace`: then the complete new
 * directory takes its place (the old one is moved aside first and removed after), so
 * `target` is never half written.
 */
export function writeDirAtomic(target: string, fill: (tmpDir: string) => void, opts: { replace?: boolean } = {}): void {
  mkdirSync(dirname(target), { recursive: true });
  const tmp = tempName(target);
  mkdirSync(tmp);
  let old: string | undefined;
  try {
    fill(tmp);
    const files: Record<string, string> = {};
    for (const n of readdirSync(tmp).sort()) if (statSync(join(tmp, n)).isFile()) files[n] = sha256File(join(tmp, n));
    writeFileSync(join(tmp, CHECKSUMS), JSON.stringify({ format: 1, files }));
    fsyncTree(tmp);
    if (opts.replace && existsSync(target)) renameSync(target, (old = tempName(target)));
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (old && !existsSync(target)) renameSync(old, target);
    throw e;
  }
  fsyncPath(dirname(target), true);
  if (old) rmSync(old, { recursive: true, force: true });
}

/** Remove file or directory `path` (if there): renamed to a temp sibling first, so it is gone at once, whole. */
export function removeAtomic(path: string): void {
  if (!existsSync(path)) return;
  const tmp = tempName(path);
  renameSync(path, tmp);
  fsyncPath(dirname(path), true);
  rmSync(tmp, { recursive: true, force: true });
}

/** The checksums of a directory written by writeDirAtomic; undefined for one written before they were kept. */
function checksumsOf(dir: string): Record<string, string> | undefined {
  const path = join(dir, CHECKSUMS);
  if (!existsSync(path)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { files?: Record<string, string> };
    if (parsed.files && typeof parsed.files === 'object') return parsed.files;
  } catch { /* reported below */ }
  throw new DamagedError(`${path} is unreadable`);
}

/**
 * The bytes of file `name` of a directory written by writeDirAtomic, checked against its
 * checksum (DamagedError when they differ or the file is missing). A directory from before
 * checksums were kept reads unchecked.
 */
export function readVerified(dir: string, name: string): Buffer {
  const sums = checksumsOf(dir);
  const path = existing(join(dir, name));
  const bytes = readFileSync(path);
  if (sums) check(path, sums[name], sha256(bytes));
  return bytes;
}

/** The path of file `name` of a directory written by writeDirAtomic, its checksum checked in chunks (as readVerified, without holding the bytes). */
export function verifiedPath(dir: string, name: string): string {
  const sums = checksumsOf(dir);
  const path = existing(join(dir, name));
  if (sums) check(path, sums[name], sha256File(path));
  return path;
}

/** Check every file a directory's checksums list (DamagedError naming the first that fails), reading each in chunks. */
export function verifyDir(dir: string): void {
  const sums = checksumsOf(dir);
  if (!sums) throw new DamagedError(`${dir} has no ${CHECKSUMS}`);
  for (const [name, sum] of Object.entries(sums)) check(join(dir, name), sum, sha256File(existing(join(dir, name))));
}

function existing(path: string): string {
  if (!existsSync(path)) throw new DamagedError(`${path} is missing`);
  return path;
}

function check(path: string, expected: string | undefined, actual: string): void {
  if (expected !== actual) throw new DamagedError(`${path} does not match its checksum (${expected ? 'torn or overwritten' : 'not listed'})`);
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
