/**
 * modrelay's client under the routed version: an immutable copy in the browser's HTTP cache,
 * like the app's modules, so its import is answered with no request and no fetch event, and
 * with V8's code cache. (On a 30-module page's warm load the client's import took p50 53–57 ms
 * raced against the fetch handler, 42–44 ms from a copy in Cache Storage through a static
 * route, 5–6 ms from the HTTP cache: bench/experiments/small-page.js.) It is no file of the
 * root, so the relay cannot vouch for it: the worker revalidates it over HTTP after every
 * load instead (a 304 when current) and the page then takes the current copy into Blink's
 * memory cache (client/index.ts), so a changed client — a new modrelay, a relay on another
 * port — runs from the load after the one that noticed it. A version without static routes
 * revalidates modrelay's own files whenever it fetches them (sw/fetch/fetch-file.ts), which also
 * replaces such a copy with the server's `no-cache` answer.
 */
import { CLIENT_PATH } from '../../protocol/defaults.js';
import { fetchCopy } from './http-copy.js';

const clientUrl = (origin: string) => new URL(CLIENT_PATH, origin).href;

/** Makes the copy, or revalidates it. A server that ignores the store header makes none (then the route revalidates it each load). */
export async function copyClient(origin: string): Promise<void> {
  await fetchCopy(clientUrl(origin), 'no-cache');
}
