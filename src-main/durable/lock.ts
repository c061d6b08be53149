/**
 * Cross-process locks: one writer at a time for the pack store, the base store and each run
 * directory, whichever process writes (the app, `taskpack serve`, any CLI command).
 *
 * A lock is a file created with O_EXCL that names its holder (pid, host, the process's start
 * time where the OS tells it, and a random token). A holder that died (same host, pid gone or
 * reused by a later process) leaves a stale lock that the next caller removes; a live one is
 * waited for, up to a bound, then refused with a clear error. Removing a stale lock goes
 * through a short-lived `<lock>.break` file, so two waiters never both remove it and one
 * of them a fresh lock taken in between.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { threadId } from 'node:worker_threads';

export interface LockHolder {
  pid: number;
  host: string;
  /** The holder process's start time (clock ticks since boot, Linux), to tell a reused pid. */
  started?: number;
  thread: number;
  token: string;
  what: string;
  since: string;
}

export class LockBusyError extends Error {
  override readonly name = 'LockBusyError';
  constructor(readonly path: string, readonly holder: LockHolder | undefined, what: string) {
    const by = holder ? `process ${holder.pid} on ${holder.host}${holder.host === hostname() ? '' : ' (another machine: remove the lock file by hand if it is gone)'}, since ${holder.since}` : 'another process';
    super(`${what} is busy: in use by ${by} (lock ${path})`);
  }
}

export interface Lock {
  readonly path: string;
  release(): void;
}

/** A lock file without a readable holder this old is left by a crash between create and write. */
const UNREADABLE_STALE_MS = 10_000;
const POLL_MS = 25;
export const DEFAULT_LOCK_WAIT_MS = 15_000;

/** Lock files this thread holds (withLock nests within one thread). */
const held = new Set<string>();

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** The start time of process `pid` in clock ticks since boot (Linux only: /proc/<pid>/stat field 22). */
export function processStart(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return undefined;
  }
}

/** Whether process `pid` on this host is alive (EPERM: it is, but another user's). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
    return typeof h.pid === 'number' && typeof h.token === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

const ageMs = (path: string) => { try { return Date.now() - statSync(path).mtimeMs; } catch { return 0; } };

function isStale(path: string, h: LockHolder | undefined): boolean {
  if (!h) return ageMs(path) > UNREADABLE_STALE_MS;
  if (h.host !== hostname()) return false;
  if (!pidAlive(h.pid)) return true;
  const started = processStart(h.pid);
  return h.started !== undefined && started !== undefined && started !== h.started;
}

/** Remove the lock at `path` if it still holds the stale holder `h` (see the module comment); false while another caller is at it. */
function breakStale(path: string, h: LockHolder | undefined): boolean {
  const brk = `${path}.break`;
  let fd: number;
  try {
    fd = openSync(brk, 'wx');
  } catch {
    if (ageMs(brk) > UNREADABLE_STALE_MS) rmSync(brk, { force: true }); // left by a breaker that crashed
    return false;
  }
  try {
    const now = readHolder(path);
    if (now?.token === h?.token && isStale(path, now)) rmSync(path, { force: true });
    return true;
  } finally {
    closeSync(fd);
    rmSync(brk, { force: true });
  }
}

function tryCreate(path: string, holder: LockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try { writeSync(fd, JSON.stringify(holder)); } finally { closeSync(fd); }
  return true;
}

/**
 * Take the lock file `path` (creating its directory), waiting up to `waitMs` for a live
 * holder; throws LockBusyError after that. Not re-entrant: a lock this thread holds is busy.
 */
export function acquireLock(path: string, what: string, waitMs = DEFAULT_LOCK_WAIT_MS): Lock {
  if (held.has(path)) throw new LockBusyError(path, readHolder(path), what);
  mkdirSync(dirname(path), { recursive: true });
  const holder: LockHolder = {
    pid: process.pid, host: hostname(), started: processStart(process.pid), thread: threadId,
    token: randomBytes(12).toString('hex'), what, since: new Date().toISOString(),
  };
  const deadline = Date.now() + waitMs;
  for (;;) {
    if (tryCreate(path, holder)) break;
    const current = readHolder(path);
    if (isStale(path, current) && breakStale(path, current)) continue;
    if (Date.now() >= deadline) throw new LockBusyError(path, current, what);
    sleep(POLL_MS * (0.5 + Math.random()));
  }
  held.add(path);
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      held.delete(path);
      // Only our own lock: a lock broken as stale (we were thought dead) may be another's by now.
      if (readHolder(path)?.token === holder.token) rmSync(path, { force: true });
    },
  };
}

/** Run `fn` holding the lock; nested calls in this thread for the same lock just run. */
export function withLock<T>(path: string, what: string, fn: () => T, waitMs = DEFAULT_LOCK_WAIT_MS): T {
  if (held.has(path)) return fn();
  const lock = acquireLock(path, what, waitMs);
  try { return fn(); } finally { lock.release(); }
}
