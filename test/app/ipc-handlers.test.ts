/** Handlers validate untrusted arguments, call services, and never throw across the boundary. */
import assert from 'node:assert/strict';
import type { TrainStart } from '../../src-main/ipc/services.js';
import { test } from 'node:test';
import { createHandlers, dispatch } from '../../src-main/ipc/handlers.js';
import { FAKE_APP_INFO, FAKE_REPORT, fakeServices } from './helpers.js';

test('valid calls answer {ok: true, value} from the services', async () => {
  const handlers = createHandlers(fakeServices());
  assert.deepEqual(await handlers['app:info']({}), { ok: true, value: FAKE_APP_INFO });
  assert.deepEqual(await handlers['system:doctor']({}), { ok: true, value: FAKE_REPORT });
});

test('bad arguments are rejected with invalid-args naming the problem, before any service runs', async () => {
  const services = fakeServices();
  const handlers = createHandlers(services);
  const cases: Array<[unknown, RegExp]> = [
    [42, /^invalid arguments for system:doctor: \(args\): .*expected object, received number/],
    [null, /expected object, received null/],
    [undefined, /expected object, received undefined/],
    [[], /expected object, received array/],
    [{ force: true }, /Unrecognized key: "force"/],
    ['doctor', /expected object, received string/],
    [JSON.parse('{"__proto__": {"polluted": 1}}'), /Unrecognized key: "__proto__"/],
  ];
  for (const [args, message] of cases) {
    const result = await handlers['system:doctor'](args);
    assert.equal(result.ok, false, `rejects ${JSON.stringify(args)}`);
    if (!result.ok) {
      assert.equal(result.error.code, 'invalid-args');
      assert.match(result.error.message, message);
    }
  }
  assert.equal(services.doctorCalls, 0, 'the self-test never ran on bad input');
});

test('a failing service becomes {ok: false, code: failed} with a one-line message', async () => {
  const handlers = createHandlers(
    fakeServices({
      runDoctor: async () => {
        throw new Error('onnxruntime-node failed to load\n    at stack frame');
      },
    }),
  );
  assert.deepEqual(await handlers['system:doctor']({}), {
    ok: false,
    error: { code: 'failed', message: 'system:doctor failed: onnxruntime-node failed to load' },
  });
});

test('dispatch refuses unknown channels, including prototype names', async () => {
  const handlers = createHandlers(fakeServices());
  for (const name of ['system:reboot', 'constructor', '__proto__', 'toString']) {
    const result = await dispatch(handlers, name, {});
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, 'unknown-channel', name);
  }
  assert.deepEqual(await dispatch(handlers, 'app:info', {}), { ok: true, value: FAKE_APP_INFO });
});

const TRAIN = { taskName: 't', train: { fileName: 'a.tsv', data: 'AAAA' }, method: 'diff', sparsity: 0.005, epochs: 1, seed: 1 };

test('pack channels: untrusted arguments refused before any service runs; valid ones reach it', async () => {
  const calls: string[] = [];
  const services = fakeServices();
  const spy = <K extends 'installPack' | 'uninstallPack' | 'activatePack' | 'predict' | 'compareStorage'>(name: K) =>
    ((...args: unknown[]) => {
      calls.push(name);
      return (services[name] as (...a: unknown[]) => unknown)(...args);
    }) as (typeof services)[K];
  const handlers = createHandlers({ ...services, installPack: spy('installPack'), uninstallPack: spy('uninstallPack'),
    activatePack: spy('activatePack'), predict: spy('predict'), compareStorage: spy('compareStorage') });
  const text = (n: number) => 'x'.repeat(n);
  const refused: Array<[keyof typeof handlers, unknown, RegExp]> = [
    ['packs:install', { fileName: 'a.taskpack' }, /data: Invalid input/],
    ['packs:install', { fileName: 'a.taskpack', data: 'not base64!' }, /data: Invalid base64/],
    ['packs:install', { fileName: '', data: 'AAAA' }, /fileName: Too small/],
    ['packs:install', { fileName: 'a', data: 'AAAA', path: '/etc/passwd' }, /Unrecognized key: "path"/],
    ['packs:uninstall', { id: '../index.json' }, /id: expected a pack id/],
    ['packs:uninstall', { id: 'abc' }, /id: expected a pack id/],
    ['packs:activate', { id: 'ABCDEF12' }, /id: expected a pack id/],
    ['packs:export', { id: '0123', out: '/tmp/x' }, /Unrecognized key: "out"/],
    ['packs:predict', { id: 'abcd', inputs: [] }, /inputs: Too small/],
    ['packs:predict', { id: 'abcd', inputs: Array.from({ length: 257 }, () => ({ text: 'a' })) }, /inputs: Too big/],
    ['packs:predict', { id: 'abcd', inputs: [{ text: '' }] }, /inputs\.0\.text: empty text/],
    ['packs:predict', { id: 'abcd', inputs: [{ text: text(20_001) }] }, /inputs\.0\.text: Too big/],
    ['packs:predict', { id: 'abcd', inputs: [{ text: 'a', label: 1 }] }, /Unrecognized key: "label"/],
    ['packs:evaluate', { id: 'abcd', file: { fileName: 'dev.tsv', data: '###' } }, /file\.data: Invalid base64/],
    ['packs:evaluate', { id: 'abcd', path: '/etc/passwd' }, /file: Invalid input/],
    ['storage:compare', { tasks: 0 }, /tasks: Too small/],
    ['bases:list', { id: 'x' }, /Unrecognized key: "id"/],
    ['train:start', { ...TRAIN, baseId: '../bases' }, /baseId: expected a base id/],
    ['train:start', { ...TRAIN, provider: 'cuda' }, /provider: Invalid option/],
    ['train:start', { ...TRAIN, method: 'prefix-tuning' }, /method: Invalid option/],
    ['train:start', { ...TRAIN, method: 'lora', rank: 0 }, /rank: Too small/],
    ['train:start', { ...TRAIN, method: 'lora', loraTargets: 'qkv' }, /loraTargets: Invalid option/],
    ['train:start', { ...TRAIN, method: 'lora', loraAlpha: -1 }, /loraAlpha: Too small/],
    ['train:start', { ...TRAIN, method: 'adapter-houlsby', bottleneck: 1.5 }, /bottleneck: Invalid input: expected int/],
    ['train:start', { ...TRAIN, sparsity: 0 }, /sparsity: Too small/],
    ['train:start', { ...TRAIN, glue: 'IMDB' }, /glue: not a GLUE task name/],
    ['train:start', { ...TRAIN, taskName: '   ' }, /taskName: name the task/],
    ['train:status', { runId: '../../etc' }, /runId: expected a run id/],
    ['train:remove', { runId: '../packs' }, /runId: expected a run id/],
    ['storage:compare', { tasks: 2.5 }, /tasks: Invalid input: expected int/],
    ['storage:compare', { tasks: '5' }, /tasks: Invalid input: expected number/],
  ];
  for (const [channel, args, message] of refused) {
    const result = await handlers[channel](args);
    assert.equal(result.ok, false, `${channel} refuses ${JSON.stringify(args).slice(0, 80)}`);
    if (!result.ok) {
      assert.equal(result.error.code, 'invalid-args');
      assert.match(result.error.message, message);
    }
  }
  assert.deepEqual(calls, [], 'no service ran on bad input');
  assert.deepEqual(services.started, [], 'no run started on bad input');

  const pack = Buffer.from(JSON.stringify({ name: 'mine' })).toString('base64');
  const installed = await handlers['packs:install']({ fileName: 'mine.taskpack', data: pack });
  assert.equal(installed.ok && installed.value.pack.name, 'mine');
  const predicted = await handlers['packs:predict']({ id: '0123', inputs: [{ text: 'good' }, { text: 'meh' }] });
  assert.deepEqual(predicted.ok && predicted.value.predictions.map((p) => 'label' in p && p.label), ['positive', 'negative']);
  assert.deepEqual(await handlers['packs:uninstall']({ id: 'ffff' }), { ok: false, error: { code: 'failed', message: "packs:uninstall failed: no installed pack 'ffff' (see 'taskpack pack list')" } });
  assert.deepEqual(calls, ['installPack', 'predict', 'uninstallPack']);
  const lora = { ...TRAIN, method: 'lora', rank: 4, loraAlpha: 8, loraTargets: 'all' };
  assert.equal((await handlers['train:start'](lora)).ok, true);
  // (cast: the deepEqual with [] above narrowed the array's type)
  assert.deepEqual((services.started as TrainStart[]).map((r) => [r.method, r.rank, r.loraAlpha, r.loraTargets]), [['lora', 4, 8, 'all']]);
});

test('anatomy, compare, trust and evaluate-with-GLUE channels: bad arguments refused before any service runs; valid ones reach it', async () => {
  const calls: unknown[][] = [];
  const services = fakeServices();
  // Each records its call; what it answers does not matter here.
  const record = (name: string) => async (...args: unknown[]): Promise<never> => {
    calls.push([name, ...args.map((a) => (a && typeof a === 'object' && 'bytes' in a ? 'file' : a))]);
    return {} as never;
  };
  const handlers = createHandlers({ ...services, packAnatomy: record('anatomy'), comparePacks: record('compare'), evaluatePack: record('evaluate'),
    addTrustedKey: record('trust'), removeTrustedKey: record('trust'), requireSignature: record('trust') });
  const KEY = Buffer.alloc(32, 7).toString('base64');
  const refused: Array<[keyof typeof handlers, unknown, RegExp]> = [
    ['packs:anatomy', { id: '../x' }, /id: expected a pack id/],
    ['packs:anatomy', {}, /id: Invalid input/],
    ['packs:compare', { a: 'abcd' }, /b: Invalid input/],
    ['packs:compare', { a: 'abcd', b: 'ABCD' }, /b: expected a pack id/],
    ['packs:compare', { a: 'abcd', b: 'abce', c: 'abcf' }, /Unrecognized key: "c"/],
    ['trust:get', { all: true }, /Unrecognized key: "all"/],
    ['trust:add-key', { name: '  ', publicKey: KEY }, /name: name the key/],
    ['trust:add-key', { name: 'x'.repeat(101), publicKey: KEY }, /name: Too big/],
    ['trust:add-key', { name: 'a', publicKey: 'k'.repeat(401) }, /publicKey: Too big/],
    ['trust:add-key', { name: 'a', publicKey: '' }, /publicKey: Too small/],
    ['trust:add-key', { name: 'a', publicKey: KEY, path: '/etc/x' }, /Unrecognized key: "path"/],
    ['trust:remove-key', { fingerprint: 'alice' }, /fingerprint: expected a key fingerprint/],
    ['trust:remove-key', { fingerprint: 'ABCD:0123:4567:89ab' }, /fingerprint: expected a key fingerprint/],
    ['trust:require-signature', { required: 'yes' }, /required: Invalid input: expected boolean/],
    ['trust:require-signature', {}, /required: Invalid input/],
    ['packs:evaluate', { id: 'abcd', file: { fileName: 'dev.tsv', data: 'AAAA' }, glue: 'IMDB' }, /glue: not a GLUE task name/],
  ];
  for (const [channel, args, message] of refused) {
    const result = await handlers[channel](args);
    assert.equal(result.ok, false, `${channel} refuses ${JSON.stringify(args).slice(0, 80)}`);
    if (!result.ok) {
      assert.equal(result.error.code, 'invalid-args');
      assert.match(result.error.message, message);
    }
  }
  assert.deepEqual(calls, [], 'no service ran on bad input');

  for (const [channel, args] of [
    ['packs:anatomy', { id: 'abcd' }], ['packs:compare', { a: 'abcd', b: '0123456789abcdef' }],
    ['packs:evaluate', { id: 'abcd', file: { fileName: 'dev.tsv', data: 'AAAA' }, glue: 'CoLA' }],
    ['trust:add-key', { name: 'alice', publicKey: KEY }], ['trust:remove-key', { fingerprint: '0123:4567:89ab:cdef' }], ['trust:require-signature', { required: true }],
  ] as const) assert.equal((await handlers[channel](args as never)).ok, true, channel);
  assert.deepEqual(calls, [
    ['anatomy', 'abcd'], ['compare', 'abcd', '0123456789abcdef'], ['evaluate', 'abcd', 'file', 'CoLA'],
    ['trust', 'alice', KEY], ['trust', '0123:4567:89ab:cdef'], ['trust', true],
  ]);
  // The fake's trust policy runs the real checks: a key that is not 32 bytes fails in the service, not the schema.
  const bad = await createHandlers(services)['trust:add-key']({ name: 'bob', publicKey: 'AAAA' });
  assert.equal(!bad.ok && bad.error.code, 'failed');
  assert.match(!bad.ok ? bad.error.message : '', /trust:add-key failed: a public key is the base64 of 32 bytes/);
});

test('compare channels: each run\'s method and budget and the shared choices checked before any service runs; valid ones reach it decoded', async () => {
  const calls: unknown[][] = [];
  const services = fakeServices();
  const handlers = createHandlers({ ...services,
    compareMethods: async (request, runs) => {
      calls.push(['compare', { ...request, train: `${request.train.fileName}: ${Buffer.from(request.train.bytes).toString('hex')}` }, runs]);
      return { queueId: '0'.repeat(16), taskName: request.taskName, state: 'running', runs: [] };
    },
    compareStatus: async (queueId) => {
      calls.push(['status', queueId]);
      return { queueId, taskName: 't', state: 'done', runs: [] };
    },
  });
  const { method: _m, sparsity: _s, ...shared } = TRAIN;
  const two = [{ method: 'diff', sparsity: 0.005 }, { method: 'bitfit', sparsity: 0.005 }];
  const refused: Array<[keyof typeof handlers, unknown, RegExp]> = [
    ['train:compare', { ...shared, runs: [two[0]] }, /runs: tick at least two methods to compare/],
    ['train:compare', { ...shared, runs: Array.from({ length: 9 }, (_, i) => ({ method: 'diff', sparsity: (i + 1) / 100 })) }, /runs: Too big/],
    ['train:compare', { ...shared, runs: [two[0], { ...two[0] }] }, /runs: a method is listed twice at one budget/],
    ['train:compare', { ...shared, runs: [two[0], { method: 'prefix', sparsity: 0.01 }] }, /runs\.1\.method: Invalid option/],
    ['train:compare', { ...shared, runs: [two[0], { method: 'full', sparsity: 1.5 }] }, /runs\.1\.sparsity: Too big/],
    ['train:compare', { ...shared, runs: [two[0], { method: 'full' }] }, /runs\.1\.sparsity: Invalid input/],
    ['train:compare', { ...shared, runs: [two[0], { ...two[1], width: 8 }] }, /runs\.1: Unrecognized key: "width"/],
    ['train:compare', { ...shared, runs: [two[0], { method: 'lora', sparsity: 0.005, rank: 0 }] }, /runs\.1\.rank: Too small/],
    ['train:compare', { ...shared, runs: [two[0], { method: 'adapter-houlsby', sparsity: 0.005, bottleneck: 2.5 }] }, /runs\.1\.bottleneck: Invalid input/],
    ['train:compare', { ...shared, method: 'diff', runs: two }, /Unrecognized key: "method"/],
    ['train:compare', { ...shared, seed: -1, runs: two }, /seed: Too small/],
    ['train:compare', { ...shared, train: { fileName: 'a.tsv', data: '!!' }, runs: two }, /train\.data: Invalid base64/],
    ['train:compare', { ...shared }, /runs: Invalid input/],
    ['train:compare-status', { queueId: '../../etc' }, /queueId: expected a comparison id/],
    ['train:compare-status', { queueId: 'ABCDEF0123456789' }, /queueId: expected a comparison id/],
    ['train:compare-status', {}, /queueId: Invalid input/],
  ];
  for (const [channel, args, message] of refused) {
    const result = await handlers[channel](args);
    assert.equal(result.ok, false, `${channel} refuses ${JSON.stringify(args).slice(0, 120)}`);
    if (!result.ok) {
      assert.equal(result.error.code, 'invalid-args');
      assert.match(result.error.message, message);
    }
  }
  assert.deepEqual(calls, [], 'no service ran on bad input');

  const started = await handlers['train:compare']({ ...shared, glue: 'SST-2', runs: two });
  assert.equal(started.ok, true);
  assert.deepEqual(await handlers['train:compare-status']({ queueId: 'abcdef0123456789' }), { ok: true, value: { queueId: 'abcdef0123456789', taskName: 't', state: 'done', runs: [] } });
  assert.deepEqual(calls, [
    ['compare', { taskName: 't', train: 'a.tsv: 000000', epochs: 1, seed: 1, glue: 'SST-2' }, two],
    ['status', 'abcdef0123456789'],
  ]);
});
