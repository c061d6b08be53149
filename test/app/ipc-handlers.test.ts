/** Handlers validate untrusted arguments, call services, and never throw across the boundary. */
import assert from 'node:assert/strict';
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
