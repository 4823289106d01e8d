import { hasExtension } from '../../protocol/file-types.js';
import type { FilePath } from '../../protocol/wire.js';

/** What the worker does with a request: answer a file (whole or a byte range) or a page; null leaves it alone. */
export interface Route {
  kind: 'file' | 'range' | 'page';
  /** The cache key: the URL without its fragment (the query is kept). */
  url: string;
  /** The relay path (percent-decoded, query dropped), or null when it cannot be decoded. */
  path: FilePath | null;
  /** The `Range` header of a `range` request. */
  range: string | null;
}

/** Whether the worker answers `request` at all, and as what; `ownPath`: its own script, never answered (nor cached) by itself. */
export function classify(request: Request, scope: string, extensions: readonly string[], ownPath: string): 'file' | 'page' | null {
  if (request.method !== 'GET' || !request.url.startsWith(scope)) return null;
  const { pathname } = new URL(request.url);
  if (pathname === ownPath) return null;
  if (request.mode === 'navigate') return 'page';
  return hasExtension(pathname, extensions) ? 'file' : null;
}

/** The route of a request the worker answers, every key computed once; null for the others. */
export function routeOf(request: Request, scope: string, extensions: readonly string[], ownPath: string): Route | null {
  const kind = classify(request, scope, extensions, ownPath);
  if (kind === null) return null;
  const url = cacheKey(request.url);
  const range = request.headers.get('range');
  return { kind: kind === 'file' && range !== null ? 'range' : kind, url, path: relayPath(url), range };
}

/** The cache key of a URL: without the fragment (the query is kept). */
export function cacheKey(url: string): string {
  const hash = url.indexOf('#');
  return hash === -1 ? url : url.slice(0, hash);
}

/**
 * The relay path of a URL: its percent-decoded pathname, query dropped ("/x.mjs?v=1" →
 * "/x.mjs"). Null when the pathname cannot be decoded (the relay would refuse it anyway).
 */
export function relayPath(url: string): FilePath | null {
  try {
    return decodeURIComponent(new URL(url).pathname);
  } catch {
    return null;
  }
}
