/**
 * `taskpack base remove ID`: refused for the shipped base and while an installed pack
 * depends on the base (naming it), changing nothing; done once the pack is gone.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EXIT_FAILED, EXIT_OK, runCli } from '../../src-main/cli/run.js';
import type { Services } from '../../src-main/ipc/services.js';
import { basesDir } from '../../src-main/model/base-store.js';
import { PackStore } from '../../src-main/packs/store.js';
import { packFor } from '../../support/export-fixtures.js';
import { tinyBert } from '../../support/trainer-fixtures.js';

test('base remove: refused for the shipped base and while a pack depends on it, naming the pack; then removed', async () => {
  const { home, base } = tinyBert(mkdtempSync(join(tmpdir(), 'taskpack-base-remove-')));
  const run = async (...argv: string[]) => {
    let stdout = '', stderr = '';
    const code = await runCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) }, { services: () => ({}) as Services, env: { TASKPACK_HOME: home } });
    return { code, stdout, stderr };
  };
  const store = new PackStore(home);
  const pack = store.install(packFor(base, { name: 'tiny sentiment', type: 'classification', labels: ['neg', 'pos'], pair: false, encoding: 'int8', seed: 4 })).entry;

  const shipped = await run('base', 'remove', 'use-lite-en');
  assert.equal(shipped.code, EXIT_FAILED);
  assert.match(shipped.stderr, /'use-lite-en' is the shipped base: it cannot be removed/);
  const used = await run('base', 'remove', 'tiny');
  assert.equal(used.code, EXIT_FAILED);
  assert.match(used.stderr, new RegExp(`base 'tiny' is used by 1 installed pack: 'tiny sentiment' \\(${pack.id}\\); uninstall it first`));
  assert.ok(existsSync(join(basesDir(home), 'tiny', 'weights.bin')), 'nothing changed');

  store.uninstall(pack.id);
  const removed = await run('base', 'remove', 'tiny', '--json');
  assert.equal(removed.code, EXIT_OK, removed.stderr);
  assert.equal(JSON.parse(removed.stdout).removed.id, 'tiny');
  assert.equal(existsSync(join(basesDir(home), 'tiny')), false);
  const list = JSON.parse((await run('base', 'list', '--json')).stdout) as { bases: { id: string }[] };
  assert.deepEqual(list.bases.map((b) => b.id), ['use-lite-en']);
  assert.match((await run('base', 'remove', 'tiny')).stderr, /no base 'tiny' is installed/);
});
