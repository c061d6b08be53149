/**
 * Two processes change one pack store at once: one through the CLI's code path, one through
 * the app's (what the dev host serves). 200 packs installed, 100 of them uninstalled, in
 * parallel: the index then lists exactly the packs on disk, none lost, nothing stray. Without
 * the store's lock, read-modify-write of the index loses entries and sweep deletes the other
 * process's in-flight files.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PackStore } from '../../src-main/packs/store.js';
import { variants } from '../../support/pack-fixtures.js';

const PACKS = 200;

function child(role: string, home: string, files: string[]): Promise<string[]> {
  const here = fileURLToPath(import.meta.url);
  const script = join(here, '..', `concurrent-child${here.endsWith('.ts') ? '.ts' : '.js'}`);
  const proc = spawn(process.execPath, [...(here.endsWith('.ts') ? ['--import', 'tsx'] : []), script, role, home, ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  proc.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  return new Promise((resolve, reject) => proc.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as string[]) : reject(new Error(`${role} child failed (${code}): ${err}`)))));
}

test(`two processes (CLI and app services) install ${PACKS} packs and uninstall half in parallel: the index lists exactly the packs on disk`, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'taskpack-concurrency-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const home = join(root, 'home');
  const store = new PackStore(home);
  const ids = variants(PACKS).map((bytes, i) => {
    writeFileSync(join(root, `p${i}.taskpack`), bytes);
    return store.decode(bytes).digest.slice(0, 16);
  });
  const files = ids.map((_, i) => join(root, `p${i}.taskpack`));
  const half = PACKS / 2;
  const removed = (await Promise.all([child('cli', home, files.slice(0, half)), child('app', home, files.slice(half))])).flat();
  const expected = ids.filter((id) => !removed.includes(id)).sort();
  assert.equal(expected.length, PACKS / 2);
  assert.deepEqual(store.list().map((e) => e.id).sort(), expected, 'the index lists every pack installed and not uninstalled');
  const onDisk = readdirSync(store.dir).filter((n) => n.endsWith('.taskpack')).map((n) => n.slice(0, -'.taskpack'.length)).sort();
  assert.deepEqual(onDisk, expected, 'exactly the indexed packs are on disk');
  assert.deepEqual(store.verify(), { ok: true, packs: store.list().map(({ id }) => ({ id, ok: true })), stray: [] });
  assert.deepEqual(readdirSync(store.dir).filter((n) => n.startsWith('.')), [], 'no lock or temp file left');
});
