/**
 * The dev host (`taskpack serve`): the built renderer and `POST /api/<channel>` on
 * 127.0.0.1, calling the same validated handlers as Electron's ipcMain. It exists so the
 * renderer can be used and tested in a real browser where Electron cannot be installed.
 *
 * Every API call must carry this launch's secret token (`X-Taskpack-Token`), as notebook
 * servers do: loopback alone would let any local user or program call the services. The
 * token travels in the URL's fragment (never sent to a server, never logged); the renderer
 * keeps it in sessionStorage. Renderer files are served without it: they hold no secret.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { attachment, DOWNLOAD_PREFIX, type Download } from '../export/downloads.js';
import type { IpcErrorCode, IpcResult } from '../ipc/contract.js';
import { dispatch, errorLine, ipcFailure, type HandlerTable } from '../ipc/handlers.js';
import { BASE_FILE_NAMES, isChannel, MAX_BASE_FILE_BYTES, UPLOAD_PREFIX } from '../ipc/contract.js';
import { UPLOAD_ID } from '../ipc/schemas.js';
import { MAX_REQUEST_BYTES } from '../ipc/request-size.js';
import { rendererDistDir } from '../paths.js';
import { resolveRendererFile } from '../renderer-files.js';
import { rendererSecurityHeaders } from '../security/csp.js';
import { rejectForeignRequest } from './request-guard.js';

const API_PREFIX = '/api/';

export interface DevHostOptions {
  handlers: HandlerTable;
  /** 0 picks a free port. */
  port?: number;
  rendererDir?: string;
  log?: (line: string) => void;
  /** Files offered for download (`GET /download/<ticket>`, the ticket being the secret): Services.takeDownload. */
  downloads?: (ticket: string) => (Download & { done(): void }) | undefined;
  /** Where a base folder's file goes (`PUT /upload/<uploadId>/<name>`, token required): Services.uploadPath. */
  uploads?: (uploadId: string, name: string) => string;
}

/** The header that carries the launch's token on every API call. */
export const TOKEN_HEADER = 'x-taskpack-token';

export interface DevHost {
  /** The page to open, with the token in its fragment. */
  url: string;
  /** This launch's secret: 32 random bytes, base64url. */
  token: string;
  port: number;
  close(): Promise<void>;
}

const STATUS_BY_ERROR: Readonly<Record<IpcErrorCode, number>> = {
  'invalid-args': 400,
  'unknown-channel': 404,
  forbidden: 403,
  failed: 500,
  transport: 502,
};

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export async function startDevHost(options: DevHostOptions): Promise<DevHost> {
  const rendererDir = options.rendererDir ?? rendererDistDir();
  const log = options.log ?? (() => {});
  const token = randomBytes(32).toString('base64url');
  let port = 0;

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      if (status === 500) log(`dev host: ${errorLine(err)}`);
      if (status === 413) res.setHeader('Connection', 'close');
      if (!res.headersSent) sendJson(res, status, ipcFailure('invalid-args', err instanceof HttpError ? err.message : 'internal error'));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refusal = rejectForeignRequest(req.headers, port);
    if (refusal) return sendText(res, 403, `forbidden: ${refusal}`);
    const pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (pathname.startsWith(API_PREFIX)) return handleApi(req, res, pathname.slice(API_PREFIX.length));
    if (pathname.startsWith(DOWNLOAD_PREFIX)) return handleDownload(req, res, pathname.slice(DOWNLOAD_PREFIX.length));
    if (pathname.startsWith(UPLOAD_PREFIX)) return handleUpload(req, res, pathname.slice(UPLOAD_PREFIX.length));
    return handleStatic(req, res, pathname);
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, rawChannel: string): Promise<void> {
    const channel = safeDecode(rawChannel);
    if (!channel || !isChannel(channel)) {
      return sendJson(res, 404, ipcFailure('unknown-channel', `unknown channel: ${(channel ?? rawChannel).slice(0, 64)}`));
    }
    if (!sameSecret(req.headers[TOKEN_HEADER], token)) {
      req.resume();
      return sendJson(res, 401, ipcFailure('forbidden', 'missing or wrong dev host token: open the URL that `taskpack serve` printed'));
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return sendJson(res, 405, ipcFailure('invalid-args', 'use POST'));
    }
    // A JSON content type cannot be sent cross-origin without a CORS preflight we never answer.
    if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
      return sendJson(res, 415, ipcFailure('invalid-args', 'expected Content-Type: application/json'));
    }
    // Each channel's limit is the largest request its schema accepts (files as base64 included).
    const body = await readBody(req, MAX_REQUEST_BYTES[channel]);
    let args: unknown;
    try {
      args = body.length === 0 ? {} : JSON.parse(body);
    } catch {
      return sendJson(res, 400, ipcFailure('invalid-args', 'request body is not valid JSON'));
    }
    const started = Date.now();
    const result = await dispatch(options.handlers, channel, args);
    log(`POST /api/${channel} → ${result.ok ? 'ok' : result.error.code} (${Date.now() - started} ms)`);
    return sendJson(res, result.ok ? 200 : STATUS_BY_ERROR[result.error.code], result);
  }

  /** A prepared file, streamed to disk by the browser; its one-time ticket is the credential (an anchor cannot send the token header). */
  async function handleDownload(req: IncomingMessage, res: ServerResponse, ticket: string): Promise<void> {
    if (req.method !== 'GET') {
      res.setHeader('Allow', 'GET');
      return sendText(res, 405, 'method not allowed');
    }
    const download = options.downloads?.(ticket);
    if (!download) return sendText(res, 404, 'no such download (each link works once, for 10 minutes)');
    res.writeHead(200, {
      'Content-Type': 'application/zip',
      'Content-Length': download.bytes,
      'Content-Disposition': attachment(download.fileName),
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    const stream = createReadStream(download.path);
    res.once('close', () => { stream.destroy(); download.done(); });
    stream.once('error', () => res.destroy());
    stream.pipe(res);
    log(`GET ${DOWNLOAD_PREFIX}… → ${download.fileName} (${download.bytes} bytes)`);
  }

  /**
   * One file of a base folder, streamed to disk: a base is hundreds of MB, past what one JSON
   * body (base64, in memory, parsed) should carry. Content-Length is required and bounded,
   * and the body may not run past it; `bases:import-upload` then imports the folder.
   */
  async function handleUpload(req: IncomingMessage, res: ServerResponse, rest: string): Promise<void> {
    if (!sameSecret(req.headers[TOKEN_HEADER], token)) {
      req.resume();
      return sendJson(res, 401, ipcFailure('forbidden', 'missing or wrong dev host token: open the URL that `taskpack serve` printed'));
    }
    if (req.method !== 'PUT') {
      res.setHeader('Allow', 'PUT');
      return sendJson(res, 405, ipcFailure('invalid-args', 'use PUT'));
    }
    const [uploadId, name, ...extra] = rest.split('/');
    if (!UPLOAD_ID.test(uploadId ?? '') || !(BASE_FILE_NAMES as readonly string[]).includes(name ?? '') || extra.length > 0 || !options.uploads) {
      req.resume();
      return sendJson(res, 404, ipcFailure('invalid-args', `expected ${UPLOAD_PREFIX}<upload id>/<one of ${BASE_FILE_NAMES.join(', ')}>`));
    }
    const declared = Number(req.headers['content-length']);
    if (!Number.isSafeInteger(declared) || declared > MAX_BASE_FILE_BYTES) {
      req.resume();
      res.setHeader('Connection', 'close');
      return sendJson(res, declared > MAX_BASE_FILE_BYTES ? 413 : 411, ipcFailure('invalid-args', `${name}: a Content-Length of at most ${MAX_BASE_FILE_BYTES} bytes is required`));
    }
    const path = options.uploads(uploadId, name);
    let seen = 0;
    const bounded = new Transform({
      transform(chunk: Buffer, _enc, done) {
        seen += chunk.length;
        done(seen > declared ? new HttpError(413, `${name}: more bytes than its Content-Length`) : null, chunk);
      },
    });
    try {
      await pipeline(req, bounded, createWriteStream(path));
      if (seen !== declared) throw new HttpError(400, `${name}: ${seen} of ${declared} bytes arrived`);
    } catch (e) {
      rmSync(path, { force: true });
      throw e instanceof HttpError ? e : new HttpError(400, `${name}: the upload broke off (${errorLine(e)})`);
    }
    log(`PUT ${UPLOAD_PREFIX}… ${name} (${seen} bytes)`);
    return sendJson(res, 200, { ok: true, value: { name, bytes: seen } });
  }

  async function handleStatic(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendText(res, 405, 'method not allowed');
    }
    const file = resolveRendererFile(rendererDir, pathname);
    if (!file) return sendText(res, 404, pathname === '/' ? 'renderer not built: run `npm run build:renderer`' : 'not found');
    const content = await readFile(file.path);
    res.writeHead(200, {
      ...rendererSecurityHeaders(),
      'Content-Type': file.contentType,
      'Content-Length': content.length,
      'Cache-Control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : content);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/#token=${token}`,
    token,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Constant-time comparison (of digests, so unequal lengths take the same path). */
function sameSecret(given: string | string[] | undefined, secret: string): boolean {
  if (typeof given !== 'string') return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(secret));
}

function safeDecode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** Reads the body as UTF-8, refusing (413) as soon as it exceeds the limit. */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new HttpError(413, `request body over ${limit} bytes`);
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      req.resume(); // discard instead of buffering; the 413 closes the connection
      return reject(tooLarge());
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      req.resume();
      reject(tooLarge());
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: IpcResult<unknown>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(text);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(text);
}
