/** What the engine does with a request: answer a module, a page, or leave it alone. */
export type Route = 'module' | 'navigate' | null;

/** `ownPath` is the pathname of the worker's own script: never answered (nor cached) by itself. */
export function routeOf(request: Request, scope: string, extensions: readonly string[], ownPath: string): Route {
  if (request.method !== 'GET' || !request.url.startsWith(scope)) return null;
  const { pathname } = new URL(request.url);
  if (pathname === ownPath) return null;
  if (request.mode === 'navigate') return 'navigate';
  return extensions.some((ext) => pathname.endsWith(ext)) ? 'module' : null;
}

/** The cache key of a request: its URL without the fragment (the query is kept). */
export function cacheKey(url: string): string {
  const hash = url.indexOf('#');
  return hash === -1 ? url : url.slice(0, hash);
}

/**
 * The relay path of a URL: its percent-decoded pathname, query dropped ("/x.mjs?v=1" →
 * "/x.mjs"). Null when the pathname cannot be decoded (the relay would refuse it anyway).
 */
export function relayPath(url: string): string | null {
  try {
    return decodeURIComponent(new URL(url).pathname);
  } catch {
    return null;
  }
}
