/** taskpack train → explore → eval end to end on the tiny BERT fixture, and explore's refusals. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, runCli } from '../../src-main/cli/run.js';
import type { Services } from '../../src-main/ipc/services.js';
import { loadBase } from '../../src-main/model/registry.js';
import { decodePack } from '../../src-main/packs/codec.js';
import { readRunJob, writeRunJob } from '../../src-main/train/run-job.js';
import { tinyBert, writeSyntheticSentiment } from '../../support/trainer-fixtures.js';

async function cli(home: string, ...argv: string[]) {
  let stdout = '', stderr = '';
  const code = await runCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) }, {
    services: () => ({}) as Services, env: { TASKPACK_HOME: home },
  });
  return { code, stdout, stderr, json: argv.includes('--json') && code === EXIT_OK ? JSON.parse(stdout) : undefined };
}

const SMALL = ['--base', 'tiny', '--epochs', '1', '--batch-size', '16', '--max-length', '16', '--lr-diff', '1e-2', '--lr-head', '1e-2'];

test('CLI: train keeps its job; explore writes a pack per target; eval scores one like explore did', async () => {
  const { home } = tinyBert();
  const train = writeSyntheticSentiment(home, 'train.tsv', 96, 1), dev = writeSyntheticSentiment(home, 'dev.tsv', 32, 2);
  const t = await cli(home, 'train', '--train', train, '--dev', dev, '--method', 'diff', ...SMALL, '--run-id', 'r1', '--out', join(home, 'r1.taskpack'), '--json');
  assert.equal(t.code, EXIT_OK, t.stderr);
  const job = readRunJob(join(home, 'runs', 'r1'));
  assert.equal(job?.trainPath, train);
  assert.equal(job?.config.method, 'diff');

  const outDir = join(home, 'explored');
  const e = await cli(home, 'explore', '--run-id', 'r1', '--targets', '0.002,0.01', '--steps', '3', '--out-dir', outDir, '--json');
  assert.equal(e.code, EXIT_OK, e.stderr);
  assert.equal(e.stdout.trim().split('\n').length, 1, 'one JSON document on stdout');
  assert.match(e.stderr, /explore: target 0\.200% \(1\/2\), 3 fixed-mask steps/);
  assert.equal(e.json.runId, 'r1');
  assert.equal(e.json.steps, 3);
  assert.deepEqual(e.json.points.map((p: { sparsity: number }) => p.sparsity), [0.002, 0.01]);
  const base = loadBase(home, 'tiny');
  for (const p of e.json.points) {
    assert.equal(p.pack, join(outDir, `sparsity-${p.sparsity}.taskpack`));
    assert.equal(statSync(p.pack).size, p.packBytes);
    const pack = decodePack(new Uint8Array(readFileSync(p.pack)), { base });
    assert.equal(pack.diffs.reduce((a, d) => a + d.indices.length, 0), p.nnz);
    assert.equal(p.nnz, Math.ceil(p.sparsity * t.json.projection.total));
    assert.equal(typeof p.metrics.accuracy, 'number');
  }
  assert.ok(e.json.points[1].packBytes > e.json.points[0].packBytes);

  const ev = await cli(home, 'eval', '--pack', e.json.points[1].pack, '--data', dev, '--json');
  assert.equal(ev.code, EXIT_OK, ev.stderr);
  // float16 pack values vs the explorer's float32 weights: at most a couple of examples apart.
  assert.ok(Math.abs(ev.json.metrics.accuracy - e.json.points[1].metrics.accuracy) <= 2 / 32);
  assert.equal(ev.json.warnings, undefined);
  // One byte that is not UTF-8 in the data: the fallback to ISO-8859-1 is on stderr and in the JSON.
  const latin = join(home, 'latin.tsv');
  writeFileSync(latin, Buffer.concat([readFileSync(dev).subarray(0, 200), Buffer.from([0xe9]), readFileSync(dev).subarray(200)]));
  const lv = await cli(home, 'eval', '--pack', e.json.points[1].pack, '--data', latin, '--json');
  assert.equal(lv.code, EXIT_OK, lv.stderr);
  assert.match(lv.json.warnings[0], new RegExp(`^${latin}: line \\d+ is not valid UTF-8, so the whole file was read as ISO-8859-1`));
  assert.match(lv.stderr, /^warning: .*latin\.tsv: line \d+ is not valid UTF-8/m);
});

test('CLI: explore refuses unknown runs, runs without an L0 phase or state, and bad targets', async () => {
  const { home } = tinyBert();
  const train = writeSyntheticSentiment(home, 'train.tsv', 32, 1);
  const b = await cli(home, 'train', '--train', train, '--method', 'bitfit', ...SMALL, '--max-steps', '1', '--run-id', 'b1', '--out', join(home, 'b1.taskpack'));
  assert.equal(b.code, EXIT_OK, b.stderr);
  // A finished run is not resumed: training again from its last checkpoint would make another pack.
  const again = await cli(home, 'train', '--train', train, '--method', 'bitfit', ...SMALL, '--max-steps', '1', '--run-id', 'b1', '--out', join(home, 'b2.taskpack'));
  assert.equal(again.code, EXIT_FAILED);
  assert.match(again.stderr, /run 'b1' has finished \(see its result\.json\); start a new run to train again/);
  assert.ok(!existsSync(join(home, 'b2.taskpack')));
  // A diff run that has not reached the end of its L0 phase: its job, no L0 state.
  const bitfitJob = readRunJob(join(home, 'runs', 'b1'))!;
  writeRunJob(join(home, 'runs', 'd1'), { ...bitfitJob, config: { ...bitfitJob.config, method: 'diff' } });

  for (const [args, code, msg] of [
    [[], EXIT_USAGE, /--run-id ID is required/],
    [['--run-id', 'nope'], EXIT_USAGE, /no run 'nope' in /],
    [['--run-id', 'b1'], EXIT_USAGE, /--method bitfit, which has no L0 phase/],
    [['--run-id', 'd1'], EXIT_FAILED, /run 'd1' has not finished its L0 phase/],
    [['--run-id', 'd1', '--targets', '0.01,2'], EXIT_USAGE, /--targets: sparsity targets must be in \(0, 1\], got 2/],
    [['--run-id', 'd1', '--targets', '0.01,,0.1'], EXIT_USAGE, /--targets must be comma-separated numbers/],
    [['--run-id', 'd1', '--steps', '0'], EXIT_USAGE, /--steps must be a positive integer/],
  ] as const) {
    const r = await cli(home, 'explore', ...args, '--json');
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1, 'a one-line error');
  }
  assert.ok(!existsSync(join(home, 'runs', 'd1', 'explore')));
});
