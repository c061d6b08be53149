/**
 * The renderer's only way out: `window.taskpack.invoke` inside Electron (preload bridge),
 * otherwise `POST /api/<channel>` to the dev host. Either way the answer is the contract's
 * IpcResult; transport problems become `{ok: false, error: {code: 'transport'}}`.
 */
import type { ArgsOf, Channel, IpcErrorCode, IpcResult, ResultOf } from '../../src-main/ipc/contract.js';

export class ApiError extends Error {
  constructor(readonly code: IpcErrorCode, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

function transportFailure(message: string): { ok: false; error: { code: 'transport'; message: string } } {
  return { ok: false, error: { code: 'transport', message } };
}

function isIpcResult(body: unknown): body is IpcResult<unknown> {
  if (typeof body !== 'object' || body === null || !('ok' in body)) return false;
  if (body.ok === true) return 'value' in body;
  return body.ok === false && 'error' in body && typeof body.error === 'object' && body.error !== null;
}

const TOKEN_KEY = 'taskpack-dev-host-token';

/**
 * The dev host's launch token: taken from the URL's fragment (`#token=…`, as `taskpack
 * serve` prints it) into sessionStorage, and the fragment dropped from the address bar.
 */
function devHostToken(): string {
  const fromUrl = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

async function invokeOverHttp<C extends Channel>(channel: C, args: ArgsOf<C>): Promise<IpcResult<ResultOf<C>>> {
  let response: Response;
  try {
    response = await fetch(`/api/${encodeURIComponent(channel)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Taskpack-Token': devHostToken() },
      body: JSON.stringify(args),
    });
  } catch (err) {
    return transportFailure(`cannot reach the dev host (${messageOf(err)})`);
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    return transportFailure(`the dev host answered HTTP ${response.status} without a result`);
  }
  return isIpcResult(body) ? (body as IpcResult<ResultOf<C>>) : transportFailure('the dev host sent a malformed result');
}

export async function invoke<C extends Channel>(channel: C, args: ArgsOf<C>): Promise<IpcResult<ResultOf<C>>> {
  const bridge = window.taskpack;
  if (!bridge) return invokeOverHttp(channel, args);
  try {
    return await bridge.invoke(channel, args);
  } catch (err) {
    return transportFailure(`IPC failed (${messageOf(err)})`);
  }
}

/** Inside Electron (the preload's bridge), where files are picked by the main process's dialogs. */
export const inElectron = () => window.taskpack !== undefined;

/**
 * Stream one file to the dev host (`PUT <path>`, e.g. a base folder's weights: too large for
 * a JSON body), reporting bytes sent; resolves when the host has it all, else throws ApiError.
 */
export function upload(path: string, file: Blob, onProgress: (sent: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', path);
    xhr.setRequestHeader('X-Taskpack-Token', devHostToken());
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onerror = () => reject(new ApiError('transport', 'cannot reach the dev host'));
    xhr.onload = () => {
      if (xhr.status === 200) return resolve();
      let body: unknown;
      try { body = JSON.parse(xhr.responseText); } catch { body = null; }
      reject(isIpcResult(body) && !body.ok ? new ApiError(body.error.code, body.error.message) : new ApiError('transport', `the dev host answered HTTP ${xhr.status}`));
    };
    xhr.send(file);
  });
}

/** Like invoke, but unwraps the value and throws ApiError on failure. */
export async function call<C extends Channel>(channel: C, args: ArgsOf<C>): Promise<ResultOf<C>> {
  const result = await invoke(channel, args);
  if (!result.ok) throw new ApiError(result.error.code, result.error.message);
  return result.value;
}

/** A caught error as the one line the UI shows. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
