/** The store's trust policy: keys added (base64 or PEM), removed, "only signed packs", bad input refused with nothing written; the CLI over it. */
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodePack, rawPublicKey } from '../../src-main/packs/codec.js';
import { PackError, PackStoreError } from '../../src-main/packs/errors.js';
import { PackStore } from '../../src-main/packs/store.js';
import { keyFingerprint, withKey, withoutKey, withRequireSignature } from '../../src-main/packs/trust.js';
import { runRealCli } from '../app/helpers.js';
import { GOLDEN_PATH, goldenContent, goldenKey, snapshotDir } from '../../support/pack-fixtures.js';

const GOLDEN_SIGNER = Buffer.from(rawPublicKey(createPublicKey(goldenKey()))).toString('base64');
const golden = () => new Uint8Array(readFileSync(GOLDEN_PATH()));
const unsigned = () => { const c = goldenContent(); delete c.signature; return encodePack(c); };

function tempStore(t: { after(fn: () => void): void }): PackStore {
  const home = mkdtempSync(join(tmpdir(), 'taskpack-trust-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  return new PackStore(home);
}

test('trust: add a key, require signatures, remove the key; each change decides what installs', (t) => {
  const store = tempStore(t);
  assert.deepEqual(store.trustSettings(), { listed: false, requireSignature: false, keys: [] });
  const added = store.changeTrust((f) => withKey(f, '  golden signer ', GOLDEN_SIGNER));
  assert.deepEqual(added, { listed: true, requireSignature: false, keys: [{ name: 'golden signer', publicKey: GOLDEN_SIGNER, fingerprint: keyFingerprint(GOLDEN_SIGNER) }] });
  assert.match(added.keys[0].fingerprint, /^[0-9a-f]{4}(:[0-9a-f]{4}){3}$/);
  assert.deepEqual(JSON.parse(readFileSync(join(store.dir, 'trusted-keys.json'), 'utf8')), { keys: [{ name: 'golden signer', publicKey: GOLDEN_SIGNER }] });
  assert.equal(store.install(golden()).entry.signer, GOLDEN_SIGNER);

  assert.equal(store.changeTrust((f) => withRequireSignature(f, true)).requireSignature, true);
  assert.throws(() => store.install(unsigned()), (e: unknown) => e instanceof PackError && e.code === 'UNSIGNED');
  store.changeTrust((f) => withRequireSignature(f, false));
  store.install(unsigned());

  // Removing the last key keeps the (now empty) list: trust is never widened by a removal.
  const removed = store.changeTrust((f) => withoutKey(f, keyFingerprint(GOLDEN_SIGNER)));
  assert.deepEqual(removed, { listed: true, requireSignature: false, keys: [] });
  const id = store.list()[0].id;
  assert.throws(() => store.read(id), (e: unknown) => e instanceof PackError && e.code === 'UNTRUSTED_SIGNER');
});

test('trust: a PEM public key is accepted; bad names, keys, duplicates and unknown removals change nothing', (t) => {
  const store = tempStore(t);
  const { publicKey } = generateKeyPairSync('ed25519');
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const raw = Buffer.from(rawPublicKey(publicKey)).toString('base64');
  assert.equal(store.changeTrust((f) => withKey(f, 'from openssl', pem)).keys[0].publicKey, raw);
  const before = snapshotDir(store.dir);
  const refused: [() => unknown, RegExp][] = [
    [() => store.changeTrust((f) => withKey(f, 'again', raw)), /already trusted, as 'from openssl'/],
    [() => store.changeTrust((f) => withKey(f, 'from openssl', GOLDEN_SIGNER)), /already named 'from openssl'/],
    [() => store.changeTrust((f) => withKey(f, ' ', GOLDEN_SIGNER)), /name is 1 to 100 characters/],
    [() => store.changeTrust((f) => withKey(f, 'short', GOLDEN_SIGNER.slice(0, 40))), /base64 of 32 bytes/],
    [() => store.changeTrust((f) => withKey(f, 'long', Buffer.alloc(33, 1).toString('base64'))), /base64 of 32 bytes/],
    [() => store.changeTrust((f) => withKey(f, 'rsa', generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString())), /not an Ed25519 public key in PEM form/],
    [() => store.changeTrust((f) => withoutKey(f, 'nobody')), /no trusted key 'nobody'/],
  ];
  for (const [change, message] of refused) assert.throws(change, (e: unknown) => e instanceof PackStoreError && message.test(e.message));
  assert.deepEqual(snapshotDir(store.dir), before);
});

test('taskpack trust: list, add, require, remove (and a usage error for a bad switch)', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'taskpack-trust-cli-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const env = { TASKPACK_HOME: home };
  const json = async (...args: string[]) => {
    const r = await runRealCli(['trust', ...args, '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  assert.deepEqual(await json('list'), { listed: false, requireSignature: false, keys: [] });
  assert.equal((await json('add', 'golden', GOLDEN_SIGNER)).keys[0].fingerprint, keyFingerprint(GOLDEN_SIGNER));
  assert.equal((await json('require', 'on')).requireSignature, true);
  assert.deepEqual((await json('remove', 'golden')).keys, []);
  const bad = await runRealCli(['trust', 'require', 'maybe'], env);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /'trust require' takes 'on' or 'off', got 'maybe'/);
});
