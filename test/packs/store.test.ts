/** The local pack store: install/list/inspect/export/uninstall, refusals that change nothing, and kill -9 at random moments (of installs, and of checkpoints with installs). */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { saveBase } from '../../src-main/model/base-store.js';
import { decodePack, rawPublicKey } from '../../src-main/packs/codec.js';
import { PackError } from '../../src-main/packs/errors.js';
import { PackStore } from '../../src-main/packs/store.js';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint, type DamagedCheckpoint } from '../../src-main/train/checkpoint.js';
import { checkpointState } from './crash-child.js';
import { GOLDEN_PATH, goldenContent, goldenKey, snapshotDir, syntheticBase, variants } from '../../support/pack-fixtures.js';

const tempHome = () => mkdtempSync(join(tmpdir(), 'taskpack-store-'));
const golden = () => new Uint8Array(readFileSync(GOLDEN_PATH()));

test('install, list, inspect, export, uninstall', (t) => {
  const home = tempHome();
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const store = new PackStore(home);
  assert.deepEqual(store.list(), []);
  const { entry, alreadyInstalled } = store.install(golden());
  assert.equal(alreadyInstalled, false);
  assert.equal(entry.baseChecked, false, 'the synthetic base is not installed here');
  assert.equal(entry.task.name, 'golden sentiment');
  assert.equal(entry.signer, Buffer.from(rawPublicKey(createPublicKey(goldenKey()))).toString('base64'));
  assert.deepEqual(store.list(), [entry]);
  assert.equal(store.install(golden()).alreadyInstalled, true);
  assert.equal(store.list().length, 1);
  const out = join(home, 'out', 'copy.taskpack');
  store.export(entry.id.slice(0, 6), out);
  assert.deepEqual(new Uint8Array(readFileSync(out)), golden());
  assert.deepEqual(store.read(entry.id).content.task, goldenContent().task);
  assert.deepEqual(store.verify(), { ok: true, packs: [{ id: entry.id, ok: true }], stray: [] });
  store.uninstall(entry.id);
  assert.deepEqual(store.list(), []);
  assert.deepEqual(readdirSync(store.dir).sort(), ['index.json']);
  assert.throws(() => store.uninstall(entry.id), /no installed pack/);
});

test('the installed base is checked: matching fingerprint → baseChecked; same id, other weights → BASE_MISMATCH', (t) => {
  const home = tempHome();
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const base = syntheticBase();
  saveBase(home, { id: 'other', architecture: 'bert', displayName: 'x', config: {}, maxLength: 8, weights: base.weights, tokenizerJson: '{}' });
  const store = new PackStore(home);
  assert.equal(store.install(golden()).entry.baseChecked, true);
  const home2 = tempHome();
  t.after(() => rmSync(home2, { recursive: true, force: true }));
  saveBase(home2, { id: 'synthetic-tiny', architecture: 'bert', displayName: 'x', config: {}, maxLength: 8, weights: syntheticBase(undefined, 2).weights, tokenizerJson: '{}' });
  assert.throws(() => new PackStore(home2).install(golden()), (e: unknown) => e instanceof PackError && e.code === 'BASE_MISMATCH');
});

test('refused packs leave the store byte-for-byte unchanged', (t) => {
  const home = tempHome();
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const store = new PackStore(home);
  store.install(variants(1)[0]);
  const before = snapshotDir(store.dir);
  const bad = golden();
  bad[200] ^= 4;
  assert.throws(() => store.install(bad), (e: unknown) => e instanceof PackError && e.code === 'INTEGRITY');
  assert.throws(() => store.install(golden().subarray(0, 100)), (e: unknown) => e instanceof PackError && e.code === 'TRUNCATED');
  // A trusted-keys list without the golden key: its signed pack is refused.
  writeFileSync(join(store.dir, 'trusted-keys.json'), JSON.stringify({ keys: [{ name: 'someone', publicKey: Buffer.alloc(32, 9).toString('base64') }] }));
  const withTrust = snapshotDir(store.dir);
  assert.throws(() => store.install(golden()), (e: unknown) => e instanceof PackError && e.code === 'UNTRUSTED_SIGNER');
  assert.deepEqual(snapshotDir(store.dir), withTrust);
  delete withTrust['trusted-keys.json'];
  assert.deepEqual(withTrust, before);
});

test('a change sweeps unindexed pack files and dead writers\' temp files, never a live writer\'s in-flight one', (t) => {
  const home = tempHome();
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const store = new PackStore(home);
  const [a, b] = variants(2);
  store.install(a);
  const live = `.tmp-${process.pid}-index.json-0a0a0a`, dead = `.tmp-${spawnSync(process.execPath, ['-e', '0']).pid}-index.json-0b0b0b`, unindexed = '0123456789abcdef.taskpack';
  for (const n of [live, dead, unindexed]) writeFileSync(join(store.dir, n), 'x');
  store.install(b);
  assert.deepEqual(store.verify().stray, [live]);
  assert.equal(readFileSync(join(store.dir, live), 'utf8'), 'x');
});

const CRASH_KILLS = Number(process.env.CRASH_KILLS ?? 100);
const CHECKPOINT_CRASH_KILLS = Number(process.env.CHECKPOINT_CRASH_KILLS ?? 50);

/**
 * Run crash-child in `mode` in `kills` fresh homes (4 at a time), SIGKILL each at a random
 * moment within `windowMs` of its start, then check: the store lists the packs as after the
 * completed operations or the one after, verifies, and the next change sweeps what the
 * crash left (the dead child's lock and temp files included); `check` adds the mode's own.
 * Returns how many kills left a stray file.
 */
async function crashLoop(t: TestContext, mode: string, kills: number, windowMs: number, check: (home: string, completed: number) => void = () => {}): Promise<number> {
  const root = tempHome();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const packs = variants(3);
  const files = packs.map((b, i) => { const f = join(root, `p${i}.taskpack`); writeFileSync(f, b); return f; });
  const ids = packs.map((b) => decodePack(b) && new PackStore(root).decode(b).digest.slice(0, 16));
  /** The installed set after operations 0…n−1 (operation j toggles pack j mod 3). */
  const stateAfter = (n: number) => {
    const on = [false, false, false];
    for (let j = 0; j < n; j++) on[j % 3] = !on[j % 3];
    return ids.filter((_, k) => on[k]).sort();
  };
  const here = fileURLToPath(import.meta.url);
  const child = join(here, '..', `crash-child${here.endsWith('.ts') ? '.ts' : '.js'}`);
  const execArgv = here.endsWith('.ts') ? ['--import', 'tsx'] : [];
  let midOperation = 0;
  const one = (k: number) => new Promise<void>((resolve, reject) => {
    const home = join(root, `home${k}`);
    const proc = spawn(process.execPath, [...execArgv, child, mode, home, ...files], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      if (!out.includes('ready') && (out += d.toString()).includes('ready')) {
        // Kill somewhere in the next few operations.
        setTimeout(() => proc.kill('SIGKILL'), Math.random() * windowMs);
      } else out += d.toString();
    });
    proc.on('close', (_code, signal) => { // 'close': after the last of its stdout
      try {
        assert.equal(signal, 'SIGKILL', `child ${k} exited on its own: ${out}`);
        const done = [...readFileSync(join(home, 'done.log'), 'utf8').matchAll(/done (\d+)/g)].map((m) => Number(m[1]));
        const completed = done.length ? done[done.length - 1] + 1 : 0;
        const store = new PackStore(home);
        const listed = store.list().map((e) => e.id).sort();
        const ok = [stateAfter(completed), stateAfter(completed + 1)].some((s) => JSON.stringify(s) === JSON.stringify(listed));
        assert.ok(ok, `child ${k}: after ${completed} operations the store lists [${listed}]`);
        const v = store.verify();
        assert.ok(v.ok, JSON.stringify(v));
        if (stateAfter(completed).join() !== stateAfter(completed + 1).join() && v.stray.length > 0) midOperation++;
        check(home, completed);
        // The next change sweeps what the crash left; the store stays usable.
        store.install(packs[0]);
        assert.deepEqual(store.verify().stray, []);
        assert.deepEqual(readdirSync(store.dir).filter((n) => n.startsWith('.')), [], 'no lock or temp file is left');
        resolve();
      } catch (e) { reject(e); }
    });
  });
  const parallel = 4;
  for (let k = 0; k < kills; k += parallel) {
    await Promise.all(Array.from({ length: Math.min(parallel, kills - k) }, (_, i) => one(k + i)));
  }
  return midOperation;
}

test(`crash safety: ${CRASH_KILLS} installs/uninstalls killed (SIGKILL) at random moments leave the store as before or as after`, async (t) => {
  const midOperation = await crashLoop(t, 'store', CRASH_KILLS, 40);
  t.diagnostic(`${CRASH_KILLS} kills; ${midOperation} left a stray file (killed between the pack write and the index commit, or during a write)`);
});

test(`crash safety: ${CHECKPOINT_CRASH_KILLS} runs killed (SIGKILL) while checkpointing and installing resume from an intact checkpoint, bit for bit`, async (t) => {
  let damaged = 0, none = 0, operations = 0;
  // Killed uniformly over a second, i.e. within one of the first few operations (each a dozen fsyncs), at any point of it.
  const midOperation = await crashLoop(t, 'checkpoint', CHECKPOINT_CRASH_KILLS, 1000, (home, completed) => {
    operations += completed;
    const dir = join(home, 'runs', 'crash');
    if (!hasCheckpoint(dir)) {
      assert.equal(completed, 0, 'a checkpoint is committed before its operation completes');
      none++;
      return;
    }
    const reports: DamagedCheckpoint[] = [];
    const ck = loadCheckpoint<{ j: number }>(dir, (d) => reports.push(d));
    damaged += reports.length;
    const { j } = ck.meta;
    // The last completed operation's checkpoint, or the killed one's if it was committed; one before that where one was damaged.
    assert.ok(j >= completed - 1 - reports.length && j <= completed, `after ${completed} operations the checkpoint of operation ${j} loads`);
    assert.deepEqual(ck, checkpointState(j), `checkpoint ${j} loads bit for bit`);
    assert.ok(readdirSync(dir).filter((n) => n.startsWith('ckpt-')).length <= 3, 'the newest, the previous, and at most one the kill left');
    saveCheckpoint(dir, completed + 1, checkpointState(completed + 1)); // a resumed run's next checkpoint sweeps what the kill left
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.')), []);
  });
  t.diagnostic(`${CHECKPOINT_CRASH_KILLS} kills; ${midOperation} left a stray pack file; ${damaged} damaged checkpoints reported; ${none} before the first checkpoint; ${(operations / CHECKPOINT_CRASH_KILLS).toFixed(1)} operations completed on average`);
});
