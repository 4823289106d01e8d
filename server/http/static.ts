import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extensionOf } from '../../protocol/file-types.js';
import { STORE_HEADER, storeCacheControl } from '../../protocol/http-cache.js';
import type { ErrorCode } from '../../protocol/wire.js';
import { requestedRange, type ByteRange } from './http-range.js';
import type { FileStore } from '../files/file-store.js';
import type { ServedFile } from '../files/source.js';
import { checkUrlPath, confine } from '../files/paths.js';
import { sendText } from './send-text.js';
import { asyncCalls } from '../files/file-calls.js';
import { openConfined, type ConfinedFile } from '../files/read-file.js';

/**
 * Static HTTP for the root, with the relay's rules: the same path rules, the same allowlist
 * and deny list (served-files.ts), the same store. Every file up to the size cap is answered
 * from the relay's `FileStore`: read whole through one checked descriptor and hashed, so
 * `Content-Length` always matches the body, even while the file is being written, and the
 * sha-256 is a strong ETag (`no-cache`: every load revalidates, a 304 when unchanged).
 * Larger files (video) stream from one checked descriptor, never whole into memory.
 * Written by hand because no static library opens once and serves from that descriptor:
 * sirv crashed the process on a file deleted or unreadable between its stat and its open.
 *
 * The one `immutable` answer is for the worker of `store: 'http-cache'` (it sends
 * `x-modrelay-store: http-cache`, see protocol/http-cache.ts): the browser's HTTP cache keeps
 * that copy, and the worker records its hash and replaces it when the file changes. A page's
 * own request (no header) still gets `no-cache`, so a page without the worker is never
 * served an old file.
 *
 * `fallback`: what a navigation to a path with no file and no extension answers (history
 * routes: `serve --spa`), or null.
 */
export function staticHandler(
  store: FileStore, fallback: string | null = null,
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  const { realRoot } = store;
  return async (request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return sendText(response, 405, 'Only GET and HEAD are served.\n', { allow: 'GET, HEAD' });
    }
    const target = requestTarget(request.url ?? '/');
    if (!target.ok) return sendText(response, target.status, target.message);
    const outcome = await store.loadForClient(target.path);
    if (outcome.ok) return sendStored(request, response, outcome.file);
    if (outcome.code === 'too-large') return sendLarge(request, response, realRoot, store, target.segments);
    if (!target.isFolderUrl && (await isFolder(realRoot, target.segments))) {
      // Relative URLs in the index resolve against the folder only with the trailing slash.
      response.writeHead(301, { location: `${target.rawPath}/${target.query}` });
      return void response.end();
    }
    if (fallback && isNavigation(request) && extensionOf(target.path) === '' && (outcome.code === 'not-found' || outcome.code === 'unsupported-type')) {
      const page = await store.loadForClient(fallback);
      if (page.ok) return sendStored(request, response, page.file);
    }
    return refuse(response, outcome.code, outcome.message);
  };
}

const STATUS: Partial<Record<ErrorCode, number>> = { forbidden: 403, 'not-found': 404, 'unsupported-type': 404, 'bad-request': 400 };

function refuse(response: ServerResponse, code: ErrorCode, message: string): void {
  sendText(response, STATUS[code] ?? 500, `${code}: ${message}.\n`);
}

type Refusal = { ok: false; status: number; message: string };

/**
 * The request target, decoded once and checked by the path rules; a folder URL names its
 * index.html. The raw target, not `new URL(...)`: that would read "//x/y" as host "x" and
 * silently normalize "..", where the rules should refuse them.
 */
function requestTarget(target: string):
  | { ok: true; path: string; rawPath: string; query: string; segments: string[]; isFolderUrl: boolean }
  | Refusal {
  const queryAt = target.search(/[?#]/);
  const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
  let decoded: string;
  try {
    // Decode exactly once; a "%" left after that is double encoding, which checkUrlPath refuses.
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { ok: false, status: 400, message: 'Malformed percent-encoding in the URL.\n' };
  }
  const isFolderUrl = decoded.endsWith('/');
  const path = isFolderUrl ? `${decoded}index.html` : decoded;
  const checked = checkUrlPath(path);
  if (!checked.ok) return { ok: false, status: 403, message: `Forbidden: ${checked.message}.\n` };
  return { ok: true, path, rawPath, query: queryAt === -1 ? '' : target.slice(queryAt), segments: checked.segments, isFolderUrl };
}

/** A browser navigation (a reload at a pushed history route), not a fetch of a file. */
function isNavigation(request: IncomingMessage): boolean {
  const mode = request.headers['sec-fetch-mode'];
  return mode === undefined ? (request.headers.accept ?? '').includes('text/html') : mode === 'navigate';
}

async function isFolder(realRoot: string, segments: string[]): Promise<boolean> {
  const confined = await confine(realRoot, segments);
  return confined.ok && (await stat(confined.real).then((s) => s.isDirectory(), () => false));
}

/** `immutable` only for a copy the worker of `store: 'http-cache'` makes (see above); pages never. */
function cacheControl(request: IncomingMessage, path: string): string {
  return storeCacheControl(request.headers[STORE_HEADER], path);
}

function notModified(request: IncomingMessage, etag: string): boolean {
  const known = (request.headers['if-none-match'] ?? '').split(',').map((tag) => tag.trim().replace(/^W\//, ''));
  return known.includes(etag.replace(/^W\//, ''));
}

/**
 * Writes the status line and headers for a body of `size` bytes: 304, 416, 206 or 200.
 * Returns the range to send, or null when no body follows.
 */
function head(
  request: IncomingMessage, response: ServerResponse, path: string, size: number, etag: string, contentType: string,
): ByteRange | null {
  const headers: Record<string, string> = { 'content-type': contentType, etag, 'cache-control': cacheControl(request, path), 'accept-ranges': 'bytes' };
  if (notModified(request, etag)) {
    response.writeHead(304, headers);
    return null;
  }
  const range = requestedRange(request, size, etag);
  if (range === 'unsatisfiable') {
    response.writeHead(416, { ...headers, 'content-range': `bytes */${size}`, 'content-length': '0' });
    return null;
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  if (range) headers['content-range'] = `bytes ${start}-${end}/${size}`;
  response.writeHead(range ? 206 : 200, { ...headers, 'content-length': String(Math.max(0, end - start + 1)) });
  return request.method === 'HEAD' ? null : { start, end };
}

function sendStored(request: IncomingMessage, response: ServerResponse, file: ServedFile): void {
  const range = head(request, response, file.path, file.bytes.byteLength, `"${file.hash}"`, file.contentType);
  response.end(range ? file.bytes.subarray(range.start, range.end + 1) : undefined);
}

/** A file over the store's cap, streamed from one checked descriptor, exactly the bytes announced. */
async function sendLarge(
  request: IncomingMessage, response: ServerResponse, realRoot: string, store: FileStore, segments: string[],
): Promise<void> {
  const path = `/${segments.join('/')}`;
  const opened = await openConfined(realRoot, segments, (real, stats) => store.refusal(path, real, stats, { sizeCapped: false }), asyncCalls);
  if (!opened.ok) return refuse(response, opened.code, opened.message);
  const { file } = opened;
  const { size, mtimeMs, ino } = file.stats;
  const range = head(request, response, path, size, `W/"${size}-${Math.trunc(mtimeMs)}-${ino}"`, store.contentType(path));
  if (!range || range.end < range.start) {
    await file.handle.close().catch(() => {});
    return void response.end();
  }
  await stream(file, range, response);
}

function stream(file: ConfinedFile, { start, end }: ByteRange, response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const body = file.handle.createReadStream({ start, end });
    let sent = 0;
    body.on('data', (chunk: Buffer | string) => { sent += chunk.length; });
    // Never a short body under a full Content-Length: a file cut while streaming ends the connection.
    body.on('error', () => response.destroy());
    body.on('end', () => { if (sent !== end - start + 1) response.destroy(); });
    body.on('close', resolve);
    response.on('close', () => body.destroy());
    body.pipe(response);
  });
}
