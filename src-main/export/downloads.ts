/**
 * Files the app has prepared for the user to save (a merged model's zip), handed out once
 * each by an unguessable ticket: the page gets `/download/<ticket>` and the browser (or
 * Electron's download manager) fetches it straight to disk, so a model of hundreds of MB
 * never passes through a JSON answer or the page's memory. The dev host and the Electron
 * protocol handler both serve that path from here; a ticket works once and expires.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface Download {
  fileName: string;
  path: string;
  bytes: number;
}

export const TICKET_PATTERN = /^[0-9a-f]{48}$/;
export const DOWNLOAD_PREFIX = '/download/';
const TTL_MS = 10 * 60 * 1000;

/** Content-Disposition for a download: an ASCII fallback name and the exact one (RFC 6266). */
export function attachment(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

export class Downloads {
  private readonly offered = new Map<string, Download & { expires: number }>();

  constructor(readonly dir: string) {}

  /** A new ticket and where to write its file; files left by expired or earlier offers are removed. */
  reserve(): { ticket: string; path: string } {
    this.sweep();
    const ticket = randomBytes(24).toString('hex');
    return { ticket, path: join(this.dir, `${ticket}.zip`) };
  }

  /** Offer the file written at reserve()'s path; returns the URL path that fetches it. */
  offer(ticket: string, download: Download): string {
    this.offered.set(ticket, { ...download, expires: Date.now() + TTL_MS });
    return `${DOWNLOAD_PREFIX}${ticket}`;
  }

  /** The download for a ticket, once: the caller sends the file, then calls done() to delete it. */
  take(ticket: string): (Download & { done(): void }) | undefined {
    const d = TICKET_PATTERN.test(ticket) ? this.offered.get(ticket) : undefined;
    if (!d) return undefined;
    this.offered.delete(ticket);
    if (d.expires < Date.now() || !existsSync(d.path)) return void rmSync(d.path, { force: true });
    return { fileName: d.fileName, path: d.path, bytes: d.bytes, done: () => rmSync(d.path, { force: true }) };
  }

  private sweep(): void {
    const now = Date.now();
    for (const [ticket, d] of this.offered) if (d.expires < now) { this.offered.delete(ticket); rmSync(d.path, { force: true }); }
    if (!existsSync(this.dir)) return;
    const live = new Set([...this.offered.keys()].map((t) => `${t}.zip`));
    for (const n of readdirSync(this.dir)) {
      const p = join(this.dir, n);
      if (!live.has(n) && now - statSync(p).mtimeMs > TTL_MS) rmSync(p, { recursive: true, force: true });
    }
  }
}
