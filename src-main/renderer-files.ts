/**
 * Maps a request path to a file of the built renderer, for the dev host and for Electron's
 * app:// protocol. Only files inside the renderer directory, only known content types.
 */
import { realpathSync, statSync } from 'node:fs';
import { extname, resolve, sep } from 'node:path';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

export interface RendererFile {
  path: string;
  contentType: string;
}

/** The file a URL pathname names, or null (→ 404) for anything outside or unknown. */
export function resolveRendererFile(rendererDir: string, pathname: string): RendererFile | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const relative = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '');
  const contentType = CONTENT_TYPES[extname(relative).toLowerCase()];
  if (!contentType) return null;
  try {
    const root = realpathSync(rendererDir);
    // realpath also resolves symlinks, so a link pointing outside the root is refused.
    const full = realpathSync(resolve(root, relative));
    if (!full.startsWith(root + sep) || !statSync(full).isFile()) return null;
    return { path: full, contentType };
  } catch {
    return null;
  }
}
