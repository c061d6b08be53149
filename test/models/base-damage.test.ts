/**
 * A damaged base store: every file of a base is checked on load (checksums written last), a
 * torn converted shipped base (zero-filled weights, unreadable manifest) is converted again
 * on next use, an imported one is reported, never silently used or removed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BaseDamagedError, basesDir, loadStoredBase, saveBase } from '../../src-main/model/base-store.js';
import { ensureShippedBase, loadBase } from '../../src-main/model/registry.js';
import { verifyDir } from '../../src-main/durable/atomic.js';

const scratch = mkdtempSync(join(tmpdir(), 'base-damage-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const zeroFill = (path: string) => writeFileSync(path, Buffer.alloc(statSync(path).size));

test('a torn shipped base (zero-filled weights, then an unreadable manifest) is converted again on next use', () => {
  const home = join(scratch, 'home');
  const id = 'use-lite-en', dir = join(basesDir(home), id);
  const fingerprint = ensureShippedBase(home, id).fingerprint;
  zeroFill(join(dir, 'weights.bin'));
  assert.throws(() => loadStoredBase(home, id), (e: unknown) => e instanceof BaseDamagedError && /weights\.bin does not match its checksum/.test(e.message));
  const logs: string[] = [];
  const base = loadBase(home, id, (l) => logs.push(l));
  assert.equal(base.fingerprint, fingerprint);
  assert.match(logs.join('\n'), /the converted base 'use-lite-en' does not verify .*weights\.bin.*; converting it again/);
  verifyDir(dir);

  zeroFill(join(dir, 'manifest.json'));
  const again: string[] = [];
  assert.equal(ensureShippedBase(home, id, (l) => again.push(l)).fingerprint, fingerprint);
  assert.match(again.join('\n'), /manifest\.json.*converting it again/);
  verifyDir(dir);
  const quiet: string[] = [];
  loadBase(home, id, (l) => quiet.push(l));
  assert.deepEqual(quiet, [], 'an intact base is used as it is');
});

test('a damaged imported base is a clear error on load, left in place for the user', () => {
  const home = join(scratch, 'home2');
  const weights = new Map([['w', { dims: [2, 2], data: Float32Array.of(1, 2, 3, 4) }]]);
  saveBase(home, { id: 'mine', architecture: 'bert', displayName: 'mine', config: {}, maxLength: 8, weights, tokenizerJson: '{"model":{}}' });
  const tokenizer = join(basesDir(home), 'mine', 'tokenizer.json');
  writeFileSync(tokenizer, '{"model":{"x":1}}');
  assert.throws(() => loadStoredBase(home, 'mine'), (e: unknown) => e instanceof BaseDamagedError && /base 'mine': .*tokenizer\.json does not match its checksum/.test(e.message));
  assert.throws(() => loadBase(home, 'mine'), BaseDamagedError);
  assert.equal(readFileSync(tokenizer, 'utf8'), '{"model":{"x":1}}', 'nothing removed');
});
