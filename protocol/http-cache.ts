/**
 * The one HTTP convention of `store: 'http-cache'` (docs/integration.md): when the worker
 * fetches a module with this request header, the HTTP server answers it with
 * `Cache-Control: IMMUTABLE`, so the browser's HTTP cache keeps that copy and the page's
 * imports are answered from it without a request (and with V8's code cache). Requests
 * without the header are answered as usual (`no-cache`), so a page without the worker, or a
 * copy the worker does not track, is always revalidated.
 */
export const STORE_HEADER = 'x-modrelay-store';
export const STORE_HTTP_CACHE = 'http-cache';
export const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The `Cache-Control` a server following this convention answers for a served file:
 * `immutable` only to the worker's copy request (`storeHeader`: that request header's
 * value), and never for a page (pages stay network-first), `no-cache` otherwise.
 */
export function storeCacheControl(storeHeader: string | string[] | undefined, pathname: string): string {
  return storeHeader === STORE_HTTP_CACHE && !/\.html?$/i.test(pathname) ? IMMUTABLE : 'no-cache';
}
