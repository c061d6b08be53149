/**
 * The dev host's upload route (`PUT /upload/<uploadId>/<name>`): a base folder's file
 * streamed to where the services put it, with this launch's token, a known file name, a
 * well-formed upload id and a Content-Length; anything else refused before a byte is kept.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { uploadPath } from '../../src-main/base-summaries.js';
import { startDevHost, TOKEN_HEADER, type DevHost } from '../../src-main/devhost/server.js';
import { createHandlers } from '../../src-main/ipc/handlers.js';
import { fakeServices, rawRequest } from './helpers.js';

let host: DevHost;
let dir: string;
const ID = '0123456789abcdef0123456789abcdef';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'taskpack-uploads-'));
  host = await startDevHost({ handlers: createHandlers(fakeServices()), port: 0, rendererDir: dir, uploads: (id, name) => uploadPath(join(dir, 'imports'), id, name) });
});

after(async () => {
  await host.close();
  rmSync(dir, { recursive: true, force: true });
});

const put = (path: string, body: string, headers: Record<string, string> = { [TOKEN_HEADER]: '' }) => rawRequest(host.port, { method: 'PUT', path, body, headers });
const withToken = () => ({ [TOKEN_HEADER]: host.token });

test('a file with the token, a known name and its Content-Length lands in the upload folder', async () => {
  const res = await put(`/upload/${ID}/config.json`, '{"model_type": "bert"}', withToken());
  assert.equal(res.status, 200, res.body);
  assert.deepEqual(JSON.parse(res.body), { ok: true, value: { name: 'config.json', bytes: 22 } });
  assert.equal(readFileSync(join(dir, 'imports', ID, 'config.json'), 'utf8'), '{"model_type": "bert"}');
});

test('no token 401, unknown names and malformed ids 404, other methods 405, no Content-Length 411: nothing written', async () => {
  assert.equal((await put(`/upload/${ID}/vocab.txt`, 'x', {})).status, 401);
  assert.equal((await put(`/upload/${ID}/vocab.txt`, 'x', { [TOKEN_HEADER]: `${host.token}x` })).status, 401);
  for (const path of [`/upload/${ID}/evil.sh`, `/upload/${ID}/../config.json`, `/upload/${ID.toUpperCase()}/vocab.txt`, `/upload/${ID}/vocab.txt/more`, '/upload/abc/vocab.txt']) {
    assert.equal((await put(path, 'x', withToken())).status, 404, path);
  }
  assert.equal((await rawRequest(host.port, { method: 'POST', path: `/upload/${ID}/vocab.txt`, body: 'x', headers: withToken() })).status, 405);
  assert.equal((await rawRequest(host.port, { method: 'PUT', path: `/upload/${ID}/vocab.txt`, body: 'x', headers: withToken(), chunked: true })).status, 411);
  assert.equal(existsSync(join(dir, 'imports', ID, 'vocab.txt')), false);
});
