import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OriginAllowlist } from './origins.js';

/**
 * Who is asking, as far as a browser lets a server tell — the one cross-origin policy of every
 * HTTP route of `serve` and of the relay's port (files, modrelay's own files, the status, the
 * dev proxy, Range requests alike). Any page the developer visits can send requests to
 * 127.0.0.1; this decides which of them may read, run or embed what comes back. (Vite's dev
 * server answered every origin with CORS until CVE-2025-24010.)
 *
 * - `same`: the page itself, the developer typing the URL, or a client that is not a browser
 *   (no `Origin`, no `Sec-Fetch-Site`: it could read the files anyway).
 * - `navigation`: another site navigated a window here with GET. The answer is shown to the
 *   user in a document of our own origin; the site that navigated cannot read it.
 * - `allowed`: another origin on the allowlist the WebSocket upgrade uses (`--allow-origin`,
 *   the loopback origins of modrelay's own ports). It gets CORS (`origin`, when it sent one).
 * - `foreign`: any other origin. It gets no CORS and a 403: no `fetch`, no `import()`, and no
 *   classic `<script>`, stylesheet, image or media either — those are `no-cors` requests that
 *   carry no `Origin`, so `Sec-Fetch-Site` says they come from another origin and only the
 *   `Referer` can name it (a page that strips its Referer is refused). A classic script runs
 *   in the embedding page (its globals readable there), a stylesheet's rules show in computed
 *   styles; Vite refuses cross-origin classic scripts for the first reason.
 */
export type Asker =
  | { kind: 'same' }
  | { kind: 'navigation' }
  | { kind: 'allowed'; origin: string | null }
  | { kind: 'foreign'; origin: string | null };

export function whoAsks(request: IncomingMessage, origins: OriginAllowlist): Asker {
  // The browser's own word, which no page can forge. It holds behind a proxy that rewrites
  // `Host` too, where `Origin` (sent on same-origin module requests) names the proxy.
  const site = request.headers['sec-fetch-site'];
  if (site === 'same-origin' || site === 'none') return { kind: 'same' };
  const origin = request.headers.origin;
  if (origin !== undefined) {
    if (origin === ownOrigin(request)) return { kind: 'same' };
    return origins.allows(origin) ? { kind: 'allowed', origin } : { kind: 'foreign', origin };
  }
  if (site === undefined) return { kind: 'same' };
  // A POST navigation (a form) carries an Origin, so only GET and HEAD get here.
  if (request.headers['sec-fetch-mode'] === 'navigate') return { kind: 'navigation' };
  const from = refererOrigin(request.headers.referer);
  return from !== null && origins.allows(from) ? { kind: 'allowed', origin: null } : { kind: 'foreign', origin: from };
}

/** The origin a browser on this very server sends: scheme + the `Host` it asked for. */
export function ownOrigin(request: IncomingMessage): string | null {
  const scheme = (request.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  try {
    return new URL(`${scheme}://${request.headers.host}`).origin;
  } catch {
    return null;
  }
}

function refererOrigin(referer: string | undefined): string | null {
  if (referer === undefined) return null;
  try {
    const { origin } = new URL(referer);
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

/**
 * The CORS headers an answer carries: `Access-Control-Allow-Origin` (with `Vary: Origin`) only
 * for an allowed origin that asked with CORS. Answers to the page's own origin carry no `Vary:
 * Origin`: the worker's immutable copies (protocol/http-cache.ts) must match the page's own
 * module requests in the HTTP cache, and they did not with it (a reload revalidated them).
 */
export function corsHeaders(response: ServerResponse, asker: Asker): void {
  if (asker.kind !== 'allowed' || asker.origin === null) return;
  response.setHeader('access-control-allow-origin', asker.origin);
  response.setHeader('vary', 'Origin');
}

/** A CORS preflight (`OPTIONS` with `Access-Control-Request-Method`) from a `same` or `allowed` asker. */
export function isPreflight(request: IncomingMessage): boolean {
  return request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
}

/** Answers a preflight for the methods served files accept; the headers asked for are allowed (only `allowed` askers get here). */
export function answerPreflight(request: IncomingMessage, response: ServerResponse): void {
  const asked = request.headers['access-control-request-headers'];
  response.writeHead(204, {
    'access-control-allow-methods': 'GET, HEAD',
    ...(asked && /^[\w\-, ]{1,512}$/.test(asked) ? { 'access-control-allow-headers': asked } : {}),
    'access-control-max-age': '600',
    'content-length': '0',
  });
  response.end();
}

/** What a refusal says, with the flag that lifts it. */
export function refusalText(asker: Extract<Asker, { kind: 'foreign' }>): string {
  return asker.origin === null
    ? 'modrelay: a page on another origin may not read or embed this (it sent no Origin or Referer to allow).\n'
    : `modrelay: a page on ${asker.origin} may not read or embed this; to allow it: --allow-origin ${asker.origin}\n`;
}

/** Origins warned about at most once each, bounded: a hostile page cannot grow it or flood the terminal. */
export class RefusalLog {
  private readonly warned = new Set<string>();

  constructor(private readonly warn: (line: string) => void, private readonly max = 64) {}

  refused(asker: Extract<Asker, { kind: 'foreign' }>, what: string): void {
    const key = asker.origin ?? '(unnamed)';
    if (this.warned.has(key) || this.warned.size >= this.max) return;
    this.warned.add(key);
    this.warn(`${what} refused to ${asker.origin ?? 'a page on another origin'}${asker.origin ? `: add --allow-origin ${asker.origin}` : ''} (said once per origin)`);
  }
}
