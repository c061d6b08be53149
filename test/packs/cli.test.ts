/** `taskpack pack …` and `taskpack storage` in-process: one JSON document on stdout, exit codes, store effects. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, runCli } from '../../src-main/cli/run.js';
import type { Services } from '../../src-main/ipc/services.js';
import { saveBase } from '../../src-main/model/base-store.js';
import { encodePack } from '../../src-main/packs/codec.js';
import { GOLDEN_PATH, moduleContent, syntheticBase, TINY, variants } from '../../support/pack-fixtures.js';

async function cli(home: string, ...argv: string[]) {
  let stdout = '', stderr = '';
  const code = await runCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) }, {
    services: () => ({}) as Services, env: { TASKPACK_HOME: home },
  });
  return { code, stdout, stderr, json: argv.includes('--json') && code === EXIT_OK ? JSON.parse(stdout) : undefined };
}

const homeFor = (t: { after(fn: () => void): void }) => {
  const home = mkdtempSync(join(tmpdir(), 'taskpack-cli-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  return home;
};

test('pack install → list → inspect → verify → export → uninstall', async (t) => {
  const home = homeFor(t);
  const golden = GOLDEN_PATH();
  const installed = await cli(home, 'pack', 'install', golden, '--json');
  assert.equal(installed.code, EXIT_OK, installed.stderr);
  const id = installed.json.installed.id as string;
  assert.equal((await cli(home, 'pack', 'list', '--json')).json.packs[0].id, id);
  const report = (await cli(home, 'pack', 'inspect', id, '--json')).json;
  assert.equal(report.header.digest.slice(0, 16), id);
  assert.deepEqual(report.diffs.map((d: { indexEncoding: string }) => d.indexEncoding), ['gaps', 'bitmap', 'bitmap']);
  assert.equal(report.totals.nnz, report.diffs.reduce((a: number, d: { nnz: number }) => a + d.nnz, 0));
  const verified = await cli(home, 'pack', 'verify', golden, '--json');
  assert.deepEqual([verified.json.ok, verified.json.signed, verified.json.trusted], [true, true, null]);
  const out = join(home, 'exported.taskpack');
  assert.equal((await cli(home, 'pack', 'export', id, '--out', out)).code, EXIT_OK);
  assert.deepEqual(readFileSync(out), readFileSync(golden));
  assert.equal((await cli(home, 'pack', 'uninstall', id, '--json')).json.uninstalled.id, id);
  assert.deepEqual((await cli(home, 'pack', 'list', '--json')).json.packs, []);
});

test('pack verify of a damaged file: exit 1, one line on stderr, the code in JSON', async (t) => {
  const home = homeFor(t);
  const bytes = readFileSync(GOLDEN_PATH());
  bytes[300] ^= 1;
  const bad = join(home, 'bad.taskpack');
  writeFileSync(bad, bytes);
  const r = await cli(home, 'pack', 'verify', bad, '--json');
  assert.equal(r.code, EXIT_FAILED);
  assert.equal(JSON.parse(r.stdout).code, 'INTEGRITY');
  assert.equal(r.stderr.trim().split('\n').length, 1);
  const install = await cli(home, 'pack', 'install', bad);
  assert.equal(install.code, EXIT_FAILED);
  assert.match(install.stderr, /^taskpack pack: INTEGRITY: /);
  assert.equal((await cli(home, 'pack', 'bogus')).code, EXIT_USAGE);
  assert.equal((await cli(home, 'pack', 'export', 'abcd')).code, EXIT_USAGE);
});

test('storage: per task, the measured pack and the estimates sized by hand from the base shapes; the human table', async (t) => {
  const home = homeFor(t);
  const base = syntheticBase();
  saveBase(home, { id: 'synthetic-tiny', architecture: 'bert', displayName: 'tiny', config: TINY, maxLength: 8, weights: base.weights, tokenizerJson: '{}' });
  const packs = variants(2);
  for (const [i, p] of packs.entries()) {
    const f = join(home, `p${i}.taskpack`);
    writeFileSync(f, p);
    assert.equal((await cli(home, 'pack', 'install', f)).code, EXIT_OK);
  }
  const r = (await cli(home, 'storage', '--tasks', '5', '--json')).json;
  const params = [...base.weights.values()].reduce((a, w) => a + w.data.length, 0);
  assert.equal(r.tasks, 5);
  assert.deepEqual(r.groups.map((g: { name: string }) => g.name), ['task 0', 'task 1']);
  const [g] = r.groups;
  assert.deepEqual([g.base, g.metric], [{ id: 'synthetic-tiny', parameters: params, bytes: 4 * params }, 'f1']);
  const byKey = Object.fromEntries(g.points.map((p: { method: string; budget: { value: number } | null }) => [`${p.method} ${p.budget?.value ?? ''}`.trim(), p]));
  const pack = g.points.find((p: { estimated: boolean }) => !p.estimated);
  assert.deepEqual([pack.method, pack.bytesPerTask, pack.totalBytes, pack.metric, pack.frontier], ['diff-structured', packs[0].length, 4 * params + 5 * packs[0].length, 0.8611, true]);
  const head = 4 * (TINY.hidden * TINY.classes + TINY.classes);
  assert.equal(byKey.full.bytesPerTask, 4 * params + head);
  assert.equal(byKey.full.totalBytes, 5 * (4 * params + head));
  // Hidden h = 8: adapters of bottleneck 64 or 256 and LoRA of rank 16 are wider than the layers they adapt, so they are left out;
  // LoRA of rank 8 on W_q and W_v (the fused QKV's thirds, Hu et al.'s GLUE targets): r·(h + h) each.
  const h = TINY.hidden;
  // Diff pruning at the default 0.5 % (the pack here has another budget): an int32 position and a float32 value per nonzero.
  assert.deepEqual(g.points.filter((p: { estimated: boolean }) => p.estimated).map((p: { method: string }) => p.method).sort(), ['diff-structured', 'full', 'lora']);
  assert.equal(byKey['lora 8'].bytesPerTask, 4 * (2 * 8 * 2 * h) + head);
  assert.equal(byKey['diff-structured 0.005'].bytesPerTask, 8 * Math.ceil(0.005 * params) + head);
  assert.ok(g.points.filter((p: { estimated: boolean }) => p.estimated).every((p: { metric: null; frontier: boolean }) => p.metric === null && !p.frontier));
  const human = (await cli(home, 'storage')).stdout;
  assert.match(human, /task "task 0" on base synthetic-tiny \(0\.00 M parameters, [\d.]+ MiB\); totals for 2 tasks/);
  assert.match(human, /\* diff-structured +[\d.]+ % +[\d.]+ MiB +[\d.]+ MiB +0\.8611/);
  assert.match(human, /  lora +rank 8 +[\d.]+ MiB +[\d.]+ MiB +estimated, not trained/);
  // On a base of hidden 256 (by hand, one layer): Houlsby, two adapters of 2·h·m + h + m plus 4h LayerNorm parameters; Pfeiffer, one adapter.
  const wide = join(home, 'wide');
  const wideBase = syntheticBase({ ...TINY, hidden: 256, heads: 4 }, 1, 'synthetic-wide');
  saveBase(wide, { id: 'synthetic-wide', architecture: 'bert', displayName: 'wide', config: { ...TINY, hidden: 256 }, maxLength: 8, weights: wideBase.weights, tokenizerJson: '{}' });
  const widePoints = (await cli(wide, 'storage', '--json')).json.groups[0].points;
  const wideKey = Object.fromEntries(widePoints.map((p: { method: string; budget: { value: number } | null }) => [`${p.method} ${p.budget?.value ?? ''}`.trim(), p]));
  for (const m of [64, 256]) {
    assert.equal(wideKey[`adapter-houlsby ${m}`].bytesPerTask, 4 * (2 * (2 * 256 * m + 256 + m) + 4 * 256));
    assert.equal(wideKey[`adapter-pfeiffer ${m}`].bytesPerTask, 4 * (2 * 256 * m + 256 + m));
  }
  for (const rank of [8, 16]) assert.equal(wideKey[`lora ${rank}`].bytesPerTask, 4 * (2 * rank * 2 * 256));
  assert.equal((await cli(home, 'storage', '--tasks', '0')).code, EXIT_USAGE);
});

test('pack inspect shows a module pack\'s kind, spec and module bytes; pack compare refuses across kinds and says why', async (t) => {
  const home = homeFor(t);
  const lora = join(home, 'lora.taskpack'), houlsby = join(home, 'houlsby.taskpack');
  writeFileSync(lora, encodePack(moduleContent({ kind: 'lora', rank: 2, alpha: 16, targets: 'qv' })));
  writeFileSync(houlsby, encodePack(moduleContent({ kind: 'adapter', variant: 'houlsby', bottleneck: 3 })));
  const r = (await cli(home, 'pack', 'inspect', lora, '--json')).json;
  assert.deepEqual([r.header.version, r.kind, r.module], [2, 'lora', { kind: 'lora', rank: 2, alpha: 16, targets: 'qv', description: 'LoRA r 2 α 16 (qv)' }]);
  // Two targets (q, v) of one layer, a [8, 2] and b [2, 8] each: 64 int8 values.
  assert.deepEqual([r.modules.length, r.totals.moduleParameters, r.totals.moduleBytes, r.totals.nnz], [4, 64, 64, 0]);
  const human = (await cli(home, 'pack', 'inspect', houlsby)).stdout;
  assert.match(human, /^task pack v2 /);
  assert.match(human, /kind adapter: Houlsby adapter \(bottleneck 3\), 118 parameters in 8 module tensors, 118 bytes/);
  assert.match(human, /adapter\.l0\.attn\.out\.down\.w +\[8, 3\] +module +int8 24 B/);
  assert.match(human, /32 nonzeros in 4 tensors/, 'its LayerNorm changes, every position of 4 vectors of 8');
  const golden = GOLDEN_PATH();
  assert.equal((await cli(home, 'pack', 'inspect', golden, '--json')).json.kind, 'diff');
  const compared = await cli(home, 'pack', 'compare', golden, lora);
  assert.equal(compared.code, EXIT_USAGE);
  assert.match(compared.stderr, /“lora task” is a LoRA r 2 α 16 \(qv\) pack: positions compare only between two diff packs/);
  assert.equal((await cli(home, 'pack', 'compare', golden, golden, '--json')).code, EXIT_OK);
});
