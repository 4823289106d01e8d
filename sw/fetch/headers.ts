import { createStore, get, set } from 'idb-keyval';
import { HEADERS_DB, LEARNED_HEADERS } from '../../protocol/defaults.js';

declare const self: ServiceWorkerGlobalScope;

/** Headers a file's own response carries that are not the response's to keep (hop-by-hop, per-response, or ours). */
const NOT_KEPT = /^(content-length|content-encoding|transfer-encoding|connection|keep-alive|date|set-cookie|age|etag|last-modified|x-modrelay-.*)$/i;

/**
 * The headers the worker's own answers carry besides a body's type and hash: what the HTTP side
 * would send for the file. Two sources, kept in IndexedDB so a worker that restarts offline
 * still has them:
 * - the relay's `hello` (`serve --header`, `relay --header`): every header the app's server
 *   sends with every file;
 * - the app's own page, read at install and from every navigation: its isolation headers
 *   (`LEARNED_HEADERS`: COEP, COOP, CORP, Origin-Agent-Cluster), which the app's server sends
 *   with its files too. A page's other headers (a CSP for HTML only) are not assumed for its
 *   files; a page copy keeps all of its own (`kept`).
 * Without them a module Worker of a `require-corp` page would be refused its script
 * (`ERR_BLOCKED_BY_RESPONSE`) and an offline page would lose `crossOriginIsolated`.
 */
export class ResponseHeaders {
  private fromRelay: Record<string, string> = {};
  private learned: Record<string, string> = {};
  /** A page of the app was read already (by this worker or one before it): no need to read one at install. */
  private seenPage = false;
  /** What IndexedDB holds is what this worker knows. */
  private saved = false;
  private readonly idb = createStore(HEADERS_DB.database, HEADERS_DB.store);
  readonly loaded: Promise<void>;

  constructor() {
    this.loaded = get<{ fromRelay: Record<string, string>; learned: Record<string, string> }>('headers', this.idb).then(
      (saved) => {
        this.fromRelay = { ...(saved?.fromRelay ?? {}), ...this.fromRelay };
        this.learned = { ...(saved?.learned ?? {}), ...this.learned };
        this.seenPage ||= saved !== undefined;
      },
      () => undefined, // no IndexedDB: what this worker learns still holds while it runs
    );
  }

  /** The headers of every answer the worker makes, under a file's own (`own`, e.g. a page copy's). */
  for(own: Record<string, string> = {}): Record<string, string> {
    return { ...this.learned, ...this.fromRelay, ...own };
  }

  /** The relay said hello (with the headers it knows, or none). */
  relaySaid(headers: Record<string, string> | undefined): void {
    // One spelling per name: `{ 'COEP': …, 'coep': … }` would make one header with both values, which is no policy at all.
    this.update(Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), value])), this.learned);
  }

  /** A response of the app's own server for a page in scope: its isolation headers hold for its files. */
  learn(response: Response): void {
    this.seenPage = true;
    const learned: Record<string, string> = {};
    for (const name of LEARNED_HEADERS) {
      const value = response.headers.get(name);
      if (value !== null) learned[name] = value;
    }
    this.update(this.fromRelay, learned);
  }

  /**
   * Reads the app's page (the registration's scope) at the first install, so the first answers
   * already carry its headers; later versions know them from IndexedDB, and every navigation
   * the worker sees refreshes them.
   */
  async learnFromScope(): Promise<void> {
    await this.loaded;
    if (this.seenPage) return;
    try {
      const response = await fetch(self.registration.scope, { cache: 'no-cache', credentials: 'same-origin' });
      await response.body?.cancel();
      if (response.ok && !response.redirected) this.learn(response);
    } catch {
      // offline or refused: what IndexedDB kept from an earlier install still holds
    }
  }

  private update(fromRelay: Record<string, string>, learned: Record<string, string>): void {
    if (this.saved && JSON.stringify([fromRelay, learned]) === JSON.stringify([this.fromRelay, this.learned])) return;
    this.saved = true;
    this.fromRelay = fromRelay;
    this.learned = learned;
    void set('headers', { fromRelay, learned }, this.idb).catch(() => undefined);
  }
}

/** The headers of a response worth keeping with a copy of it (a page offline answers with them). */
export function kept(response: Response): Record<string, string> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => { if (!NOT_KEPT.test(name)) headers[name] = value; });
  return headers;
}
