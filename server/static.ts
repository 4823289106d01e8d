import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import sirv from 'sirv';
import { JS_CONTENT_TYPE } from '../protocol/defaults.js';
import { IMMUTABLE, STORE_HEADER, STORE_HTTP_CACHE } from '../protocol/http-cache.js';
import type { Module, ModuleStore } from './module-store.js';
import { checkUrlPath, confine } from './paths.js';

/**
 * Static HTTP for the root: sirv does MIME types, ETag/304 and streaming; this wrapper first
 * applies the relay's path rules, which sirv's per-request mode does not (it serves
 * dotfiles and follows symlinks out of the root). `dev: true` makes sirv stat each request,
 * so edits and new files are seen (its other mode lists the folder once at start-up), and
 * gives `Cache-Control: no-cache` with a weak ETag of size and mtime: every load revalidates.
 *
 * The one exception is a module fetched by the worker of `store: 'http-cache'` (it sends
 * `x-modrelay-store: http-cache`, see protocol/http-cache.ts): that answer is `immutable`,
 * so the browser's HTTP cache keeps it and the page's later imports never leave the page.
 * The worker records the hash of every such copy and replaces it when the file changes; a
 * page's own request (no header) still gets `no-cache`, so a page without the worker is
 * never served an old module.
 *
 * Modules come from the relay's `ModuleStore` when `modules()` has one: already read and
 * hashed (one `stat` per request), with the sha-256 as a strong ETag. That is the same
 * answer the socket gives, and it skips the per-request path resolution and disk read that
 * made a first visit over `serve` slower than plain sirv. Anything the store will not serve
 * (a file over the size cap, a missing file) takes the sirv path below, as before.
 */
export function staticHandler(
  realRoot: string, extensions: readonly string[], modules: () => ModuleStore | undefined = () => undefined,
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  const sirvHandler = sirv(realRoot, {
    dev: true, etag: true, dotfiles: false, extensions: [],
    setHeaders: (response, pathname) => {
      if (response.req.headers[STORE_HEADER] === STORE_HTTP_CACHE && extensions.some((ext) => pathname.endsWith(ext))) {
        response.setHeader('cache-control', IMMUTABLE);
      }
    },
  });
  return async (request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return plain(response, 405, 'Only GET and HEAD are served.\n', { allow: 'GET, HEAD' });
    }
    const target = requestTarget(request.url ?? '/');
    if (!target.ok) return plain(response, target.status, target.message);
    const { segments, isFolderUrl } = target;
    const store = modules();
    if (store && !isFolderUrl && extensions.some((ext) => target.path.endsWith(ext))) {
      const outcome = await store.handOut(`/${segments.join('/')}`);
      if (outcome.ok) return sendModule(request, response, outcome.module);
    }
    const file = await regularFile(realRoot, segments, isFolderUrl);
    if (!file.ok) return plain(response, file.status, file.message);
    if (file.redirect) {
      // Relative URLs in the index resolve against the folder only with the trailing slash.
      response.writeHead(301, { location: `${target.rawPath}/${target.query}` });
      return void response.end();
    }
    // sirv gets the vetted, re-encoded path; it decodes it once itself.
    request.url = `/${file.served.map(encodeURIComponent).join('/')}`;
    sirvHandler(request, response, () => plain(response, 404, 'Not found.\n'));
  };
}

type Refusal = { ok: false; status: number; message: string };

/**
 * The request target, decoded once and checked by the path rules. The raw target, not
 * `new URL(...)`: that would read "//x/y" as host "x" and silently normalize "..", where the
 * rules should refuse them.
 */
function requestTarget(target: string):
  | { ok: true; path: string; rawPath: string; query: string; segments: string[]; isFolderUrl: boolean }
  | Refusal {
  const queryAt = target.search(/[?#]/);
  const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
  let path: string;
  try {
    // Decode exactly once; a "%" left after that is double encoding, which checkUrlPath refuses.
    path = decodeURIComponent(rawPath);
  } catch {
    return { ok: false, status: 400, message: 'Malformed percent-encoding in the URL.\n' };
  }
  // A folder URL names its index.html; the path rules refuse empty segments, so check without the slash.
  const isFolderUrl = path.endsWith('/');
  const checked = checkUrlPath(path === '/' ? '/index.html' : isFolderUrl ? path.slice(0, -1) : path);
  if (!checked.ok) return { ok: false, status: 403, message: `Forbidden: ${checked.message}.\n` };
  const segments = path === '/' ? [] : checked.segments;
  return { ok: true, path, rawPath, query: queryAt === -1 ? '' : target.slice(queryAt), segments, isFolderUrl };
}

/** The regular file a vetted path names (a folder URL: its index.html), confined to the root. */
async function regularFile(
  realRoot: string, segments: string[], isFolderUrl: boolean,
): Promise<{ ok: true; served: string[]; redirect: boolean } | Refusal> {
  const confined = segments.length === 0 ? { ok: true as const, real: realRoot } : await confine(realRoot, segments);
  if (!confined.ok) return { ok: false, status: confined.code === 'not-found' ? 404 : 403, message: `${confined.code}: ${confined.message}.\n` };
  try {
    let stats = await stat(confined.real);
    let served = segments;
    if (stats.isDirectory()) {
      if (!isFolderUrl) return { ok: true, served, redirect: true };
      const index = await confine(realRoot, [...segments, 'index.html']);
      if (!index.ok) return { ok: false, status: index.code === 'not-found' ? 404 : 403, message: `${index.code}: ${index.message}.\n` };
      served = [...segments, 'index.html'];
      stats = await stat(index.real);
    }
    // FIFOs and devices would hang or stream forever.
    if (!stats.isFile()) return { ok: false, status: 403, message: 'Forbidden: not a regular file.\n' };
    return { ok: true, served, redirect: false };
  } catch {
    return { ok: false, status: 404, message: 'Not found.\n' };
  }
}

function sendModule(request: IncomingMessage, response: ServerResponse, module: Module): void {
  const etag = `"${module.hash}"`;
  const tagged = request.headers[STORE_HEADER] === STORE_HTTP_CACHE;
  const headers = { 'content-type': JS_CONTENT_TYPE, etag, 'cache-control': tagged ? IMMUTABLE : 'no-cache' };
  const known = (request.headers['if-none-match'] ?? '').split(',').map((tag) => tag.trim().replace(/^W\//, ''));
  if (known.includes(etag)) {
    response.writeHead(304, headers);
    return void response.end();
  }
  response.writeHead(200, { ...headers, 'content-length': String(module.bytes.byteLength) });
  response.end(request.method === 'HEAD' ? undefined : module.bytes);
}

export function plain(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
  response.end(body);
}
