/**
 * Which requests the dev host will even look at. It binds 127.0.0.1 only, but a web page
 * elsewhere can still reach loopback through the user's browser: DNS rebinding (a foreign
 * name resolving to 127.0.0.1 → foreign Host header) or a cross-site fetch/form (foreign
 * Origin / Sec-Fetch-Site). Both are refused before any routing.
 */
import type { IncomingHttpHeaders } from 'node:http';

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

export function loopbackAuthorities(port: number): Set<string> {
  return new Set(LOOPBACK_NAMES.map((name) => `${name}:${port}`));
}

/** A reason to refuse the request, or null when it may proceed. */
export function rejectForeignRequest(headers: IncomingHttpHeaders, port: number): string | null {
  const allowed = loopbackAuthorities(port);
  const host = headers.host?.toLowerCase();
  if (!host || !allowed.has(host)) return 'Host header is not this loopback server';
  const origin = headers.origin;
  if (origin !== undefined) {
    // "null" (sandboxed frames, file:) and any other site are refused; only our own origin passes.
    let authority: string | null = null;
    try {
      const url = new URL(origin);
      authority = url.protocol === 'http:' ? url.host.toLowerCase() : null;
    } catch {
      authority = null;
    }
    if (!authority || !allowed.has(authority)) return 'Origin is not this loopback server';
  }
  if (headers['sec-fetch-site'] === 'cross-site') return 'cross-site request';
  return null;
}
