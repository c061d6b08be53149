/** The dev host serves only loopback callers, known channels, small bodies and renderer files. */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startDevHost, TOKEN_HEADER, type DevHost } from '../../src-main/devhost/server.js';
import { createHandlers } from '../../src-main/ipc/handlers.js';
import { MAX_DATA_BYTES, MAX_INSTALL_BYTES } from '../../src-main/ipc/contract.js';
import { MAX_REQUEST_BYTES } from '../../src-main/ipc/request-size.js';
import { FAKE_REPORT, fakeServices, rawRequest } from './helpers.js';

let host: DevHost;
let workDir: string;
let services: ReturnType<typeof fakeServices>;

before(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'taskpack-devhost-'));
  const rendererDir = join(workDir, 'renderer');
  mkdirSync(join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'export {};');
  writeFileSync(join(workDir, 'secret.txt'), 'do not serve');
  writeFileSync(join(workDir, 'secret.js'), 'do not serve');
  symlinkSync(join(workDir, 'secret.js'), join(rendererDir, 'assets', 'link.js'));
  services = fakeServices();
  host = await startDevHost({ handlers: createHandlers(services), port: 0, rendererDir });
});

after(async () => {
  await host.close();
  rmSync(workDir, { recursive: true, force: true });
});

const json = { 'content-type': 'application/json' };
const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  rawRequest(host.port, { method: 'POST', path, body, headers: { ...json, [TOKEN_HEADER]: host.token, ...headers } });

test('listens on 127.0.0.1 only; the URL carries the launch token in its fragment', () => {
  assert.match(host.url, /^http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]{43}$/);
  assert.equal(host.url.split('#token=')[1], host.token);
});

test('API calls without this launch\'s token get 401 and run nothing', async () => {
  const before = services.doctorCalls;
  const wrong = host.token.slice(0, -1) + (host.token.endsWith('A') ? 'B' : 'A');
  for (const token of [undefined, '', wrong, host.token + 'x', host.token.slice(0, 8)]) {
    const headers: Record<string, string> = { ...json, ...(token === undefined ? {} : { [TOKEN_HEADER]: token }) };
    const res = await rawRequest(host.port, { method: 'POST', path: '/api/system:doctor', body: '{}', headers });
    assert.equal(res.status, 401, `token ${String(token)}`);
    assert.equal(JSON.parse(res.body).error.code, 'forbidden');
  }
  assert.equal(services.doctorCalls, before, 'no handler ran');
  // Another launch has another token.
  const other = await startDevHost({ handlers: createHandlers(services), port: 0, rendererDir: join(workDir, 'renderer') });
  try {
    assert.notEqual(other.token, host.token);
    const call = (token: string) => rawRequest(other.port, { method: 'POST', path: '/api/system:doctor', body: '{}', headers: { ...json, [TOKEN_HEADER]: token } });
    assert.equal((await call(host.token)).status, 401, 'a token is good for its own launch only');
    assert.equal((await call(other.token)).status, 200);
  } finally {
    await other.close();
  }
});

test('a valid API call answers 200 with the IpcResult', async () => {
  const res = await post('/api/system:doctor', '{}');
  assert.equal(res.status, 200);
  assert.deepEqual(JSON.parse(res.body), { ok: true, value: FAKE_REPORT });
  // What a browser sends: our own origin, percent-encoded channel.
  const fromPage = await post('/api/system%3Adoctor', '{}', { origin: `http://localhost:${host.port}`, host: `localhost:${host.port}` });
  assert.equal(fromPage.status, 200);
});

test('foreign Host headers (DNS rebinding) get 403 on every path', async () => {
  const before = services.doctorCalls;
  for (const hostHeader of ['evil.example', `evil.example:${host.port}`, '127.0.0.1:1', `127.0.0.1.evil.example:${host.port}`]) {
    for (const path of ['/', '/api/system:doctor']) {
      const res = await rawRequest(host.port, { method: path === '/' ? 'GET' : 'POST', path, body: path === '/' ? undefined : '{}', headers: { ...json, host: hostHeader } });
      assert.equal(res.status, 403, `${hostHeader} ${path}`);
    }
  }
  assert.equal(services.doctorCalls, before, 'no handler ran');
});

test('foreign or null Origin and cross-site fetches get 403', async () => {
  for (const origin of ['http://evil.example', 'null', `https://127.0.0.1:${host.port}`, `http://127.0.0.1:${host.port + 1}`]) {
    assert.equal((await post('/api/system:doctor', '{}', { origin })).status, 403, origin);
  }
  assert.equal((await post('/api/system:doctor', '{}', { 'sec-fetch-site': 'cross-site' })).status, 403);
});

test('unknown channels get 404 with unknown-channel', async () => {
  for (const path of ['/api/system:reboot', '/api/constructor', '/api/', '/api/%E0%A4%A']) {
    const res = await post(path, '{}');
    assert.equal(res.status, 404, path);
    assert.equal(JSON.parse(res.body).error.code, 'unknown-channel');
  }
});

test('oversized bodies get 413, declared or streamed', async () => {
  const big = JSON.stringify({ pad: 'x'.repeat(MAX_REQUEST_BYTES['system:doctor']) });
  const declared = await post('/api/system:doctor', big);
  assert.equal(declared.status, 413);
  const streamed = await rawRequest(host.port, { method: 'POST', path: '/api/system:doctor', body: big, chunked: true, headers: { ...json, [TOKEN_HEADER]: host.token } });
  assert.equal(streamed.status, 413);
  // A pack to install may be larger (its bytes as base64), up to its own bound.
  const pack = (bytes: number) => JSON.stringify({ fileName: 'a.taskpack', data: Buffer.alloc(bytes, 7).toString('base64') });
  const installed = await post('/api/packs:install', pack(64 * 1024));
  assert.match(JSON.parse(installed.body).error.message, /a\.taskpack is not a usable task pack/, 'read whole and handed to the service');
  assert.equal((await post('/api/packs:install', pack(MAX_INSTALL_BYTES + 64 * 1024))).status, 413);
});

test('every channel that carries a file takes the largest file its schema accepts', async () => {
  // The wizard's preview of a data file at the size limit: the schema's bound, not 64 KiB.
  const file = { fileName: 'big.tsv', data: Buffer.alloc(MAX_DATA_BYTES, 'a').toString('base64') };
  const inspected = await post('/api/data:inspect', JSON.stringify({ file, textCol: 'sentence' }));
  assert.equal(inspected.status, 200, inspected.body.slice(0, 200));
  assert.equal(services.inspected.at(-1)?.bytes.length, MAX_DATA_BYTES, 'the whole file reached the service');
  // Well over the schema's bound: refused by size before any parsing.
  const over = { fileName: 'big.tsv', data: Buffer.alloc(MAX_DATA_BYTES + 64 * 1024, 'a').toString('base64') };
  assert.equal((await post('/api/data:inspect', JSON.stringify({ file: over }))).status, 413);
});

test('bad JSON gets 400, bad args 400 invalid-args, non-JSON content type 415, GET on the API 405', async () => {
  assert.equal((await post('/api/system:doctor', '{nope')).status, 400);
  const badArgs = await post('/api/system:doctor', '{"force":true}');
  assert.equal(badArgs.status, 400);
  assert.equal(JSON.parse(badArgs.body).error.code, 'invalid-args');
  const form = await rawRequest(host.port, { method: 'POST', path: '/api/system:doctor', body: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded', [TOKEN_HEADER]: host.token } });
  assert.equal(form.status, 415);
  assert.equal((await rawRequest(host.port, { path: '/api/system:doctor', headers: { [TOKEN_HEADER]: host.token } })).status, 405);
});

test('static files carry the CSP; nothing outside the renderer directory is served', async () => {
  const index = await rawRequest(host.port, { path: '/' });
  assert.equal(index.status, 200);
  assert.match(String(index.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
  assert.equal(index.headers['x-content-type-options'], 'nosniff');
  assert.equal((await rawRequest(host.port, { path: '/assets/app.js' })).headers['content-type'], 'text/javascript; charset=utf-8');
  for (const path of ['/../secret.txt', '/%2e%2e/secret.js', '/assets/..%2f..%2fsecret.js', '/assets/link.js', '/missing.js', '/assets']) {
    const res = await rawRequest(host.port, { path });
    assert.equal(res.status, 404, path);
    assert.doesNotMatch(res.body, /do not serve/);
  }
  assert.equal((await rawRequest(host.port, { method: 'DELETE', path: '/' })).status, 405);
});
