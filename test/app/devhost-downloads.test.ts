/**
 * The dev host's download route (`GET /download/<ticket>`, export/downloads.ts): the file a
 * ticket names, streamed as an attachment once; then, or for any other ticket, 404; only
 * GET; foreign Host and cross-site requests refused like every other path; the file is
 * deleted once sent.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startDevHost, type DevHost } from '../../src-main/devhost/server.js';
import { Downloads } from '../../src-main/export/downloads.js';
import { createHandlers } from '../../src-main/ipc/handlers.js';
import { fakeServices, rawRequest } from './helpers.js';

let host: DevHost;
let dir: string;
let shelf: Downloads;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'taskpack-downloads-'));
  shelf = new Downloads(dir);
  host = await startDevHost({ handlers: createHandlers(fakeServices()), port: 0, rendererDir: dir, downloads: (t) => shelf.take(t) });
});

after(async () => {
  await host.close();
  rmSync(dir, { recursive: true, force: true });
});

function offer(content: string, fileName: string): { url: string; path: string } {
  const { ticket, path } = shelf.reserve();
  writeFileSync(path, content);
  return { url: shelf.offer(ticket, { fileName, path, bytes: Buffer.byteLength(content) }), path };
}

test('a ticket fetches its file once, as an attachment; the file is removed after', async () => {
  const { url, path } = offer('PK zip bytes', 'nli – tiny "bert"-onnx.zip');
  assert.match(url, /^\/download\/[0-9a-f]{48}$/);
  const res = await rawRequest(host.port, { path: url });
  assert.equal(res.status, 200);
  assert.equal(res.body, 'PK zip bytes');
  assert.equal(res.headers['content-type'], 'application/zip');
  assert.equal(res.headers['content-length'], String(Buffer.byteLength('PK zip bytes')));
  assert.equal(res.headers['content-disposition'], `attachment; filename="nli _ tiny _bert_-onnx.zip"; filename*=UTF-8''${encodeURIComponent('nli – tiny "bert"-onnx.zip')}`);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(existsSync(path), false, 'deleted once sent');
  assert.equal((await rawRequest(host.port, { path: url })).status, 404, 'a second fetch');
});

test('unknown or malformed tickets get 404; other methods 405; foreign Host and cross-site requests 403 and keep the ticket', async () => {
  const { url, path } = offer('x', 'a.zip');
  for (const p of ['/download/', `/download/${'0'.repeat(48)}`, '/download/../../etc/passwd', `${url}x`]) {
    assert.equal((await rawRequest(host.port, { path: p })).status, 404, p);
  }
  assert.equal((await rawRequest(host.port, { method: 'POST', path: url, body: '' })).status, 405);
  assert.equal((await rawRequest(host.port, { path: url, headers: { host: `evil.example:${host.port}` } })).status, 403);
  assert.equal((await rawRequest(host.port, { path: url, headers: { 'sec-fetch-site': 'cross-site' } })).status, 403);
  assert.equal(existsSync(path), true);
  assert.equal((await rawRequest(host.port, { path: url })).status, 200, 'refused requests did not use the ticket up');
});

test('a dev host without downloads answers 404', async () => {
  const bare = await startDevHost({ handlers: createHandlers(fakeServices()), port: 0, rendererDir: dir });
  try {
    assert.equal((await rawRequest(bare.port, { path: `/download/${'a'.repeat(48)}` })).status, 404);
  } finally {
    await bare.close();
  }
});
