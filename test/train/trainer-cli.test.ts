/** taskpack train → eval → infer end to end on the tiny BERT fixture, and bad input refused without writing. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultTaskName } from '../../src-main/cli/commands/train.js';
import { EXIT_OK, EXIT_USAGE, runCli } from '../../src-main/cli/run.js';
import type { Services } from '../../src-main/ipc/services.js';
import { readBaseManifest } from '../../src-main/model/base-store.js';
import { estimateTrainingPeak } from '../../src-main/train/memory-estimate.js';
import { tinyBert, writeSyntheticSentiment } from '../../support/trainer-fixtures.js';

async function cli(home: string, ...argv: string[]) {
  let stdout = '', stderr = '';
  const code = await runCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) }, {
    services: () => ({}) as Services, env: { TASKPACK_HOME: home },
  });
  return { code, stdout, stderr, json: argv.includes('--json') && code === EXIT_OK ? JSON.parse(stdout) : undefined };
}

test('CLI: train → eval → infer with a task pack', async () => {
  const { home } = tinyBert();
  const train = writeSyntheticSentiment(home, 'train.tsv', 256, 1), dev = writeSyntheticSentiment(home, 'dev.tsv', 32, 2);
  const out = join(home, 'task.taskpack');
  const t = await cli(home, 'train', '--train', train, '--dev', dev, '--method', 'diff-structured', '--base', 'tiny', '--epochs', '2', '--mask-epochs', '1',
    '--batch-size', '16', '--max-length', '16', '--lr-diff', '1e-2', '--lr-head', '1e-2', '--out', out, '--json');
  assert.equal(t.code, EXIT_OK, t.stderr);
  assert.equal(t.json.pack, out);
  assert.ok(existsSync(out));
  assert.match(t.stderr, /projection: \d+ of \d+ nonzero before/);
  // The estimate before the run: the tiny base's, at this batch and length, against the free memory.
  const tensors = readBaseManifest(home, 'tiny').tensors;
  assert.deepEqual(Object.keys(t.json.memory).sort(), ['estimatedPeakBytes', 'freeBytes']);
  assert.equal(t.json.memory.estimatedPeakBytes, estimateTrainingPeak({ tensors, method: 'diff-structured', batchSize: 16, maxLength: 16 }));
  assert.match(t.stderr, new RegExp(`memory: about ${(t.json.memory.estimatedPeakBytes / 2 ** 30).toFixed(1)} GB at the peak, [\\d.]+ GB free now`));
  assert.equal(t.json.nonzeros, Math.ceil(0.005 * t.json.projection.total));
  // 256 rows, 16 per batch: 2 epochs of L0 steps, then 1 of fixed-mask ones.
  assert.equal(t.json.steps, 16 * (2 + 1));
  assert.ok(t.json.metrics.accuracy > 0.6, `dev accuracy ${t.json.metrics.accuracy}`);

  const e = await cli(home, 'eval', '--pack', out, '--data', dev, '--json');
  assert.equal(e.code, EXIT_OK, e.stderr);
  assert.equal(e.json.n, 32);
  // The pack (float16 values, patched onto the live base) scores like the trainer's float32 weights.
  assert.ok(Math.abs(e.json.metrics.accuracy - t.json.metrics.accuracy) <= 2 / 32, `eval ${e.json.metrics.accuracy} vs train ${t.json.metrics.accuracy}`);

  const i = await cli(home, 'infer', '--pack', out, '--text', 'the movie was great and fun', '--json');
  assert.equal(i.code, EXIT_OK, i.stderr);
  assert.ok(['0', '1'].includes(i.json.label));
  assert.equal(i.json.scores.length, 2);
  assert.ok(Math.abs(i.json.scores[0] + i.json.scores[1] - 1) < 1e-6);
});

test('CLI: a LoRA run names its module, and its pack evaluates as the run did', async () => {
  const { home } = tinyBert();
  const train = writeSyntheticSentiment(home, 'train.tsv', 128, 3), dev = writeSyntheticSentiment(home, 'dev.tsv', 32, 4);
  const out = join(home, 'lora.taskpack');
  const t = await cli(home, 'train', '--train', train, '--dev', dev, '--method', 'lora', '--rank', '4', '--lora-targets', 'all', '--base', 'tiny', '--epochs', '3',
    '--batch-size', '16', '--max-length', '16', '--lr-module', '1e-2', '--lr-head', '1e-2', '--values', 'float32', '--out', out, '--json');
  assert.equal(t.code, EXIT_OK, t.stderr);
  // Two layers of hidden 32 and FFN 64: q, k, v, o at 4·(32 + 32) each, FFN in and out at 4·(32 + 64).
  assert.deepEqual(t.json.module, { spec: { kind: 'lora', rank: 4, alpha: 8, targets: 'all' }, parameters: 2 * (4 * 4 * 64 + 2 * 4 * 96) });
  assert.match(t.stderr, /module: \{"kind":"lora","rank":4,"alpha":8,"targets":"all"\}, \d+ parameters per task/);
  const e = await cli(home, 'eval', '--pack', out, '--data', dev, '--json');
  assert.equal(e.code, EXIT_OK, e.stderr);
  // float32 factors merged into the live base (rounding apart from the graph's A·B) score as the run did, a borderline row apart.
  assert.ok(Math.abs(e.json.metrics.accuracy - t.json.metrics.accuracy) <= 1 / 32, `eval ${e.json.metrics.accuracy} vs train ${t.json.metrics.accuracy}`);
  assert.ok(t.json.metrics.accuracy > 0.6, `dev accuracy ${t.json.metrics.accuracy}`);
});

test('CLI: bad train arguments are refused with a specific error and write nothing', async () => {
  const { home } = tinyBert();
  const train = writeSyntheticSentiment(home, 'train.tsv', 16, 1), out = join(home, 'x.taskpack');
  for (const [args, msg] of [
    [['--method', 'prefix-tuning'], /--method must be one of/],
    [['--method', 'lora', '--rank', '0'], /--rank must be a positive integer, got '0'/],
    [['--method', 'lora', '--lora-targets', 'qkv'], /--lora-targets must be one of qv, all, got 'qkv'/],
    [['--method', 'lora', '--lora-alpha', '0'], /--lora-alpha must be positive, got '0'/],
    // The tiny BERT's hidden size is 32: a wider bottleneck is refused before the run directory exists.
    [['--method', 'adapter-pfeiffer', '--bottleneck', '33'], /--method adapter-pfeiffer: adapter bottleneck 33 is wider than the 32 it adapts after 'l0\.ffn\.out'/],
    [['--sparsity', '2'], /--sparsity must be in \(0, 1\]/],
    [['--epochs', '0'], /--epochs must be a positive integer/],
    [['--mask-epochs', 'many'], /--mask-epochs must be a positive integer/],
  ] as const) {
    const r = await cli(home, 'train', '--train', train, '--base', 'tiny', '--out', out, ...args);
    assert.equal(r.code, EXIT_USAGE, r.stderr);
    assert.match(r.stderr, msg);
  }
  const missing = await cli(home, 'eval', '--pack', join(home, 'nope.taskpack'), '--data', train);
  assert.equal(missing.code, EXIT_USAGE);
  assert.match(missing.stderr, /no such file/);
  assert.ok(!existsSync(out));
  assert.ok(!existsSync(join(home, 'runs')) || readdirSync(join(home, 'runs')).length === 0);
});

test('CLI: --recipe reference sets its switches in job.json, explicit options override it and each method\'s defaults, and a bad switch is refused', async () => {
  const { home } = tinyBert();
  const train = writeSyntheticSentiment(home, 'train.tsv', 64, 1);
  const args = ['train', '--train', train, '--base', 'tiny', '--max-steps', '1', '--max-length', '16', '--json'];
  const t = await cli(home, ...args, '--recipe', 'reference', '--clip', 'global', '--alpha-init', '2', '--hold-dense', '0.25', '--run-id', 'ref', '--out', join(home, 'ref.taskpack'));
  assert.equal(t.code, EXIT_OK, t.stderr);
  const job = JSON.parse(readFileSync(join(home, 'runs', 'ref', 'job.json'), 'utf8'));
  assert.equal(job.recipe, 'reference');
  assert.deepEqual(
    [job.config.penalty, job.config.gateSchedule, job.config.clip, job.config.maskStart, job.config.batchSize, job.config.warmup, job.config.weightDecay, job.config.lambda],
    ['additive', 'constant', 'global', 'dense', 8, 0, 0, 1.25e-7]);
  assert.deepEqual(job.config.lr, { diff: 1e-4, gates: 0.1, head: 1e-4, base: 1e-4, mask: 5e-4 });
  assert.equal(job.config.alphaInit, 2);
  assert.equal(job.config.holdDense, 0.25);
  assert.equal(job.config.penaltyScale, 'none', 'the official code weighs every gate alike');
  assert.match(t.stderr, /gates at step \d+: \{"sqrtV":\{"mean":/);
  const d = await cli(home, ...args, '--run-id', 'def', '--out', join(home, 'def.taskpack'));
  assert.equal(d.code, EXIT_OK, d.stderr);
  const def = JSON.parse(readFileSync(join(home, 'runs', 'def', 'job.json'), 'utf8'));
  assert.deepEqual([def.config.method, def.config.penalty, def.config.lambdaSchedule, def.config.gateSchedule, def.config.clip, def.config.maskStart, def.config.lr.mask, def.config.alphaInit, def.config.holdDense, def.config.penaltyScale], ['diff-structured', 'additive', 'target', 'shared', 'global', 'sampled', undefined, 5, 0, 'gradient']);
  const u = await cli(home, ...args, '--method', 'diff', '--penalty-scale', 'gradient', '--run-id', 'unstructured', '--out', join(home, 'u.taskpack'));
  assert.equal(u.code, EXIT_OK, u.stderr);
  assert.equal(JSON.parse(readFileSync(join(home, 'runs', 'unstructured', 'job.json'), 'utf8')).config.penaltyScale, 'gradient', 'set where the method\'s default is none');
  for (const [flag, value, message] of [['--penalty', 'sum', /--penalty must be one of product, additive, got 'sum'/], ['--recipe', 'paper', /--recipe must be one of default, reference/],
    ['--layer-penalty', '1,x', /--layer-penalty must be comma-separated/], ['--alpha-init', 'open', /--alpha-init must be in \[-20, 20\], got 'open'/], ['--hold-dense', '0.5', /--hold-dense must be in \[0, 0\.5\), got '0\.5'/],
    ['--penalty-scale', 'adam', /--penalty-scale must be one of none, gradient, got 'adam'/],
    ['--layer-penalty', '1,2', /--layer-penalty: the per-layer penalty takes \d+ factors \(embeddings, \d+ layers, the rest\), got 2/]] as const) {
    const bad = await cli(home, ...args, flag, value, '--run-id', 'bad', '--out', join(home, 'bad.taskpack'));
    assert.equal(bad.code, EXIT_USAGE);
    assert.match(bad.stderr, message);
    assert.ok(!existsSync(join(home, 'runs', 'bad')));
  }
});


test('CLI: --glue TASK reads a file as that GLUE task (its layout, its metrics) whatever its folder is called; a bad name is refused', async () => {
  const { home } = tinyBert();
  // The synthetic rows in CoLA's header-less layout (source, label, original mark, sentence), in a folder that names no GLUE task.
  const asCola = (path: string, name: string) => {
    const rows = readFileSync(path, 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
    const out = join(home, 'held-out', name);
    mkdirSync(join(home, 'held-out'), { recursive: true });
    writeFileSync(out, rows.map(([text, label]) => `synthetic\t${label}\t${label === '1' ? '' : '*'}\t${text}`).join('\n') + '\n');
    return out;
  };
  const plainTrain = writeSyntheticSentiment(home, 'train.tsv', 64, 1), plainDev = writeSyntheticSentiment(home, 'dev.tsv', 32, 2);
  const train = asCola(plainTrain, 'train.tsv'), dev = asCola(plainDev, 'dev.tsv');
  const trainOn = async (id: string, ...flags: string[]) => {
    const t = await cli(home, 'train', '--base', 'tiny', '--max-steps', '1', '--max-length', '16', '--run-id', id, '--out', join(home, `${id}.taskpack`), '--json', ...flags);
    assert.equal(t.code, EXIT_OK, t.stderr);
    return t;
  };
  // Read as CoLA, the run scores with CoLA's metric and its job records the layout; read as found, with the pack's usual ones.
  const cola = await trainOn('cola', '--train', train, '--dev', dev, '--glue', 'CoLA');
  assert.match(cola.stderr, /on 64 rows \(dev 32\)/);
  assert.deepEqual(Object.keys(cola.json.metrics), ['mcc']);
  assert.equal(JSON.parse(readFileSync(join(home, 'runs', 'cola', 'job.json'), 'utf8')).columns.glue, 'CoLA');
  const plain = await trainOn('plain', '--train', plainTrain, '--dev', plainDev);
  assert.deepEqual(Object.keys(plain.json.metrics), ['accuracy']);

  // A pack trained without a GLUE layout, evaluated on the CoLA-layout file: CoLA's metric only when asked for.
  const asked = await cli(home, 'eval', '--pack', join(home, 'plain.taskpack'), '--data', dev, '--glue', 'CoLA', '--json');
  assert.equal(asked.code, EXIT_OK, asked.stderr);
  assert.equal(asked.json.n, 32);
  assert.deepEqual(Object.keys(asked.json.metrics), ['mcc']);
  const found = await cli(home, 'eval', '--pack', join(home, 'plain.taskpack'), '--data', dev, '--json');
  assert.equal(found.code, EXIT_OK, found.stderr);
  assert.deepEqual([found.json.n, Object.keys(found.json.metrics)], [32, ['accuracy']]);

  for (const command of [['train', '--train', train, '--base', 'tiny', '--run-id', 'bad', '--out', join(home, 'bad.taskpack')], ['eval', '--pack', join(home, 'plain.taskpack'), '--data', dev]]) {
    const bad = await cli(home, ...command, '--glue', 'SST2');
    assert.equal(bad.code, EXIT_USAGE, bad.stderr);
    assert.match(bad.stderr, /--glue must be one of CoLA, SST-2, .*, got 'SST2'/);
  }
  assert.ok(!existsSync(join(home, 'runs', 'bad')));
  const wrong = await cli(home, 'eval', '--pack', join(home, 'plain.taskpack'), '--data', dev, '--glue', 'MRPC');
  assert.notEqual(wrong.code, EXIT_OK);
  assert.match(wrong.stderr, /dev\.tsv.*not in GLUE MRPC's layout \(a header naming '#1 String', '#2 String', 'Quality'\)/);
  // Refused data leaves no run behind: neither a layout that does not fit nor a malformed row.
  writeFileSync(join(home, 'torn.tsv'), 'sentence\tlabel\ngood\t1\nbad\n');
  for (const [data, reason] of [[['--train', train, '--glue', 'MRPC'], /train\.tsv.*not in GLUE MRPC's layout/], [['--train', join(home, 'torn.tsv')], /torn\.tsv:3: expected 2 tab-separated columns/]] as const) {
    const refused = await cli(home, 'train', ...data, '--base', 'tiny', '--max-steps', '1', '--run-id', 'refused', '--out', join(home, 'refused.taskpack'));
    assert.notEqual(refused.code, EXIT_OK);
    assert.match(refused.stderr, reason);
    assert.ok(!existsSync(join(home, 'runs', 'refused')), 'no run directory is left');
    assert.ok(!existsSync(join(home, 'refused.taskpack')));
  }
});

test('CLI: Adam moments default to float16 for full finetuning and magnitude (base-sized states), float32 for bitfit; --moments overrides', async () => {
  const { home } = tinyBert();
  const train = writeSyntheticSentiment(home, 'train.tsv', 32, 1);
  const momentsOf = async (id: string, ...flags: string[]) => {
    const t = await cli(home, 'train', '--train', train, '--base', 'tiny', '--max-steps', '1', '--max-length', '16', '--run-id', id, '--out', join(home, `${id}.taskpack`), '--json', ...flags);
    assert.equal(t.code, EXIT_OK, t.stderr);
    return JSON.parse(readFileSync(join(home, 'runs', id, 'job.json'), 'utf8')).config.moments;
  };
  for (const method of ['full', 'magnitude']) assert.equal(await momentsOf(method, '--method', method), 'float16', method);
  assert.equal(await momentsOf('bitfit', '--method', 'bitfit'), 'float32');
  assert.equal(await momentsOf('full-32', '--method', 'full', '--moments', 'float32'), 'float32');
});

test('a task named after its folder when the file has a generic split name (GLUE\'s RTE/train.tsv is RTE), else after the file', () => {
  assert.equal(defaultTaskName('/data/glue/RTE/train.tsv'), 'RTE');
  assert.equal(defaultTaskName('reviews/TRAIN.csv'), 'reviews');
  assert.equal(defaultTaskName('/data/my-reviews.tsv'), 'my-reviews.tsv');
  assert.equal(defaultTaskName('/data/train-small.tsv'), 'train-small.tsv');
});
