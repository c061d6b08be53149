/** The cross-process lock: a live holder in another process is waited for, then refused; a dead holder's lock is taken over. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { acquireLock, LockBusyError, processStart, withLock, type LockHolder } from '../../src-main/durable/lock.js';
import { lockHolder } from '../support/lock-holder.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'taskpack-lock-'));
/** The pid of a process that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

test('a lock held by a live process is waited for, then refused with a clear error; once its holder dies it is taken over', async (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, '.lock');
  const holder = await lockHolder(path);
  const started = Date.now();
  assert.throws(() => acquireLock(path, 'the test store', 300), (e: unknown) =>
    e instanceof LockBusyError && e.holder?.pid === holder.pid && /^the test store is busy: in use by process \d+ on /.test(e.message));
  assert.ok(Date.now() - started >= 300, 'it waited for the holder first');
  await holder.kill(); // SIGKILL: the lock file stays behind, naming a dead process
  assert.equal((JSON.parse(readFileSync(path, 'utf8')) as LockHolder).pid, holder.pid);
  const lock = acquireLock(path, 'the test store', 0);
  assert.equal((JSON.parse(readFileSync(path, 'utf8')) as LockHolder).pid, process.pid);
  lock.release();
  assert.equal(existsSync(path), false);
});

test('stale locks: a dead pid, a reused pid (another start time), an unreadable file once old, a crashed breaker\'s; a fresh unreadable one is waited for', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, '.lock');
  const write = (h: Partial<LockHolder>) => writeFileSync(path, JSON.stringify({ host: hostname(), token: 'x', thread: 0, what: 'w', since: '', ...h }));
  write({ pid: deadPid() });
  acquireLock(path, 'dead pid', 0).release();
  if (processStart(process.pid) !== undefined) {
    write({ pid: process.pid, started: processStart(process.pid)! - 1 }); // our pid, but an earlier process that had it
    acquireLock(path, 'reused pid', 0).release();
  }
  write({ pid: process.pid, host: 'elsewhere' }); // another machine's holder is never judged from here
  assert.throws(() => acquireLock(path, 'remote', 0), /busy: in use by process \d+ on elsewhere \(another machine/);
  writeFileSync(path, ''); // a holder killed between create and write
  assert.throws(() => acquireLock(path, 'fresh unreadable', 100), LockBusyError);
  const old = new Date(Date.now() - 60_000);
  utimesSync(path, old, old);
  acquireLock(path, 'old unreadable', 0).release();
  write({ pid: deadPid() });
  writeFileSync(`${path}.break`, ''); // another caller is removing the stale lock: wait for it
  assert.throws(() => acquireLock(path, 'being broken', 100), LockBusyError);
  utimesSync(`${path}.break`, old, old); // … or it crashed doing so
  acquireLock(path, 'broken by a crashed caller', 1000).release();
  assert.equal(existsSync(`${path}.break`), false);
});

test('withLock nests within a thread; release removes only its own lock', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'sub', '.lock');
  assert.equal(withLock(path, 'outer', () => withLock(path, 'inner', () => 42)), 42);
  assert.equal(existsSync(path), false);
  const lock = acquireLock(path, 'a');
  assert.throws(() => acquireLock(path, 'again', 0), LockBusyError, 'acquireLock is not re-entrant');
  writeFileSync(path, JSON.stringify({ pid: process.pid, host: hostname(), token: 'someone else', thread: 0, what: 'w', since: '' }));
  lock.release();
  assert.equal(existsSync(path), true, 'a lock taken over meanwhile is not ours to remove');
});
