/**
 * `modrelay/middleware`: makes a connect/Express app's static files follow the HTTP-cache
 * store's one convention (protocol/http-cache.ts), so the default store's warm loads come
 * from the browser's HTTP cache behind that server too:
 *
 *   import { modrelayCacheHeaders } from 'modrelay/middleware';
 *   app.use(modrelayCacheHeaders());
 *   app.use(express.static('public'));
 *
 * `Cache-Control` is set when the headers are written (on-headers), so it wins over what a
 * static handler set before (express.static answers `public, max-age=0`). Only files of the
 * served types are touched; every other answer (an API's, an error) keeps its own headers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import onHeaders from 'on-headers';
import { SERVED_EXTENSIONS } from '../../protocol/defaults.js';
import { hasExtension } from '../../protocol/file-types.js';
import { STORE_HEADER, storeCacheControl } from '../../protocol/http-cache.js';

export interface CacheHeadersOptions {
  /** File extensions (with the dot) whose answers get the store's `Cache-Control`. Default: the types modrelay serves. */
  extensions?: readonly string[];
}

type Next = (error?: unknown) => void;

export function modrelayCacheHeaders(options: CacheHeadersOptions = {}): (request: IncomingMessage, response: ServerResponse, next: Next) => void {
  const extensions = options.extensions ?? SERVED_EXTENSIONS;
  return (request, response, next) => {
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    } catch {
      return next(); // a malformed URL: the app's own handlers answer it
    }
    if (hasExtension(pathname, extensions)) {
      onHeaders(response, () => {
        const status = response.statusCode;
        // 2xx and 304 (which refreshes the cached copy's headers); errors keep theirs.
        if ((status >= 200 && status < 300) || status === 304) response.setHeader('Cache-Control', storeCacheControl(request.headers[STORE_HEADER], pathname));
      });
    }
    next();
  };
}
