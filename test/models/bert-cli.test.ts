/**
 * `taskpack base import DIR` end to end (in-process CLI): the imported BERT is listed and
 * described, `embed --base` runs it and matches the PyTorch reference's mean-pooled
 * output, and a bad folder exits non-zero with one line and writes nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, runCli } from '../../src-main/cli/run.js';
import type { Services } from '../../src-main/ipc/services.js';
import { shippedBases } from '../../src-main/model/registry.js';
import { fixturesDir } from '../../support/bert-helpers.js';

const home = mkdtempSync(join(tmpdir(), 'taskpack-bert-cli-'));
after(() => rmSync(home, { recursive: true, force: true }));

async function cli(...argv: string[]) {
  let stdout = '', stderr = '';
  const code = await runCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) }, {
    services: () => ({}) as Services, // base and embed do not use the app services
    env: { TASKPACK_HOME: home },
  });
  return { code, stdout, stderr };
}

test('base import → list → info → embed: the imported BERT runs and matches the reference', async () => {
  const imp = await cli('base', 'import', join(fixturesDir(), 'tiny-torch'), '--json');
  assert.equal(imp.code, EXIT_OK, imp.stderr);
  const value = JSON.parse(imp.stdout);
  assert.equal(value.id, 'tiny-torch');
  assert.deepEqual(value.sources, { weights: 'pytorch_model.bin', tokenizer: 'tokenizer.json' });
  assert.deepEqual(value.ignored.sort(), ['bert.embeddings.position_ids', 'cls.predictions.bias', 'cls.predictions.decoder.weight']);

  const list = JSON.parse((await cli('base', 'list', '--json')).stdout);
  assert.ok(list.bases.some((b: { id: string; architecture: string; shipped: boolean }) => b.id === 'tiny-torch' && b.architecture === 'bert' && !b.shipped));
  const info = JSON.parse((await cli('base', 'info', 'tiny-torch', '--json')).stdout);
  assert.equal(info.fingerprint, value.fingerprint);
  assert.equal(info.config.layerNormEps, 1e-7);

  const golden = JSON.parse(readFileSync(join(fixturesDir(), 'golden-tiny-torch.json'), 'utf8'));
  const singles = golden.cases.find((c: { name: string }) => c.name === 'singles');
  const emb = await cli('embed', '--text', singles.rows[1].text, '--base', 'tiny-torch', '--json');
  assert.equal(emb.code, EXIT_OK, emb.stderr);
  const vector = JSON.parse(emb.stdout).embedding as number[];
  assert.equal(vector.length, 48);
  const worst = vector.reduce((w, v, i) => Math.max(w, Math.abs(v - singles.mean[1][i])), 0);
  assert.ok(worst <= 1e-4, `embed vs reference mean pooling: max |Δ| ${worst.toExponential(2)}`);
});

test('base import: a bad folder or a shipped id fails with one line and writes nothing', async () => {
  const before = readdirSync(join(home, 'bases')).sort();
  const bad = await cli('base', 'import', join(fixturesDir(), 'no-such-folder'), '--json');
  assert.equal(bad.code, EXIT_FAILED);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /\ntaskpack base: .*no-such-folder: not a directory\n$/);
  const clash = await cli('base', 'import', join(fixturesDir(), 'tiny-uncased'), '--id', shippedBases()[0].id);
  assert.equal(clash.code, EXIT_USAGE);
  assert.match(clash.stderr, /is the id of a shipped base/);
  assert.equal((await cli('base', 'import')).code, EXIT_USAGE);
  assert.deepEqual(readdirSync(join(home, 'bases')).sort(), before);
  assert.ok(!existsSync(join(home, 'bases', shippedBases()[0].id)));
});
