/**
 * Atomic writes: every file of a directory is fsynced before the rename (and the parent
 * after); directory fsync that the platform refuses (Windows: EPERM) is tolerated, a file's
 * is not; checksums catch a torn or zero-filled file.
 */
import assert from 'node:assert/strict';
import fs, { existsSync, fstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mock, test, type TestContext } from 'node:test';
import { CHECKSUMS, DamagedError, isAbandonedTemp, readVerified, verifyDir, writeDirAtomic, writeFileAtomic } from '../../src-main/durable/atomic.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'taskpack-atomic-'));

/** Replace fs.fsyncSync for this test (the ESM named exports follow the patched object). */
function patchFsync(t: TestContext, impl: (fd: number, real: (fd: number) => void) => void): void {
  const real = fs.fsyncSync;
  mock.method(fs, 'fsyncSync', (fd: number) => impl(fd, real));
  syncBuiltinESMExports();
  t.after(() => { mock.restoreAll(); syncBuiltinESMExports(); });
}

test('writeDirAtomic fsyncs every file it wrote, the directory, then the parent after the rename', { skip: process.platform !== 'linux' && 'needs /proc/self/fd' }, (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const synced: string[] = [];
  patchFsync(t, (fd, real) => { synced.push(readlinkSync(`/proc/self/fd/${fd}`)); real(fd); });
  const target = join(dir, 'ckpt');
  writeDirAtomic(target, (tmp) => { writeFileSync(join(tmp, 'a.bin'), 'a'); writeFileSync(join(tmp, 'b.json'), '{}'); });
  const names = synced.map((p) => p.slice(dir.length + 1).replace(/^\.tmp-\d+-ckpt-[0-9a-f]+/, 'TMP'));
  assert.deepEqual(names, ['TMP/a.bin', 'TMP/b.json', `TMP/${CHECKSUMS}`, 'TMP', '']);
  synced.length = 0;
  writeFileAtomic(join(dir, 'f.json'), 'x');
  assert.equal(synced.length, 2);
  assert.match(synced[0], /\.tmp-\d+-f\.json-/);
  assert.equal(synced[1], dir);
});

test('directory fsync refused by the platform (EPERM, EISDIR, EINVAL) is tolerated; a file fsync error is not', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let code = 'EPERM';
  let failFiles = false;
  patchFsync(t, (fd, real) => {
    if (fstatSync(fd).isDirectory() || failFiles) throw Object.assign(new Error(`${code}: fsync`), { code });
    real(fd);
  });
  for (code of ['EPERM', 'EISDIR', 'EINVAL']) {
    writeFileAtomic(join(dir, `${code}.txt`), code);
    writeDirAtomic(join(dir, `${code}-dir`), (tmp) => writeFileSync(join(tmp, 'x'), code));
    assert.equal(readFileSync(join(dir, `${code}.txt`), 'utf8'), code);
    verifyDir(join(dir, `${code}-dir`));
  }
  failFiles = true;
  code = 'EIO';
  assert.throws(() => writeFileAtomic(join(dir, 'io.txt'), 'x'), /EIO/);
  assert.equal(existsSync(join(dir, 'io.txt')), false);
});

test('checksums: a zero-filled, changed or missing file of an atomic directory is DamagedError', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const target = join(dir, 'd');
  writeDirAtomic(target, (tmp) => { writeFileSync(join(tmp, 'data.bin'), Buffer.from([1, 2, 3, 4])); writeFileSync(join(tmp, 'meta.json'), '{"a":1}'); });
  verifyDir(target);
  assert.deepEqual([...readVerified(target, 'data.bin')], [1, 2, 3, 4]);
  writeFileSync(join(target, 'data.bin'), Buffer.alloc(4)); // same length, zeros: what a power loss can leave
  assert.throws(() => readVerified(target, 'data.bin'), (e: unknown) => e instanceof DamagedError && /data\.bin does not match its checksum/.test(e.message));
  assert.throws(() => verifyDir(target), DamagedError);
  rmSync(join(target, 'meta.json'));
  assert.throws(() => readVerified(target, 'meta.json'), /meta\.json is missing/);
  writeFileSync(join(target, CHECKSUMS), '\0\0\0');
  assert.throws(() => readVerified(target, 'data.bin'), /checksums\.json is unreadable/);
});

test('a temp file is abandoned when its writer is dead or it is older than any write; a live writer\'s is not', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const live = `.tmp-${process.pid}-index.json-abc`, dead = '.tmp-999999999-index.json-abc', old = `.tmp-${process.pid}-x-old`;
  for (const n of [live, dead, old]) writeFileSync(join(dir, n), '');
  const past = new Date(Date.now() - 2 * 3600_000);
  fs.utimesSync(join(dir, old), past, past);
  assert.equal(isAbandonedTemp(dir, live), false);
  assert.equal(isAbandonedTemp(dir, dead), true);
  assert.equal(isAbandonedTemp(dir, old), true);
  assert.equal(isAbandonedTemp(dir, 'index.json'), false);
});

test('writeDirAtomic with replace: the new directory takes the old one\'s place whole; a failed fill leaves the old one as it was', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const target = join(dir, 'out');
  writeDirAtomic(target, (tmp) => writeFileSync(join(tmp, 'old.txt'), 'old'));
  assert.throws(() => writeDirAtomic(target, (tmp) => writeFileSync(join(tmp, 'new.txt'), 'new')), /EEXIST|ENOTEMPTY/, 'without replace an existing directory is refused');
  assert.throws(() => writeDirAtomic(target, (tmp) => { writeFileSync(join(tmp, 'new.txt'), 'new'); throw new Error('disk full'); }, { replace: true }), /disk full/);
  assert.deepEqual(fs.readdirSync(target).sort(), [CHECKSUMS, 'old.txt']);
  writeDirAtomic(target, (tmp) => writeFileSync(join(tmp, 'new.txt'), 'new'), { replace: true });
  assert.deepEqual(fs.readdirSync(target).sort(), [CHECKSUMS, 'new.txt']);
  verifyDir(target);
  assert.deepEqual(fs.readdirSync(dir), ['out'], 'the old directory and the temp are gone');
});
