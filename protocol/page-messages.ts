/**
 * The messages between the Service Worker (sw/) and its pages (client/), by postMessage. Types
 * only, like wire.ts: notices the worker posts to every window, messages a page posts, and the
 * page's requests, each answered on the MessagePort it carries.
 */
import type { FilePath, Hash } from './wire.js';


/** What the SW posts to window clients, by name. */
export interface SwToPageEvents {
  /** A module changed: `url` is the absolute URL the page imports it by. */
  'module:updated': { url: string; path: FilePath; hash: Hash };
  'module:removed': { url: string; path: FilePath };
  /**
   * The socket state changed; `validated` is true once the cache was checked. `state` says
   * why a worker is not connected (it asked the relay's status endpoint); the versions let
   * the page warn when its copies of modrelay differ from the running relay.
   */
  'relay:status': { connected: boolean; validated: boolean; state: RelayState; relayVersion: string | null; workerVersion: string; store: StoreStatus };
  /**
   * Reply to `store:prepare`: the HTTP-cache copies are current
   * (`validated`: the relay vouched; else they were revalidated over HTTP, or are offline
   * copies). `changed`: URLs whose copy changed since `since`, which the page must evict
   * from Blink's memory cache; `at`: the worker's clock when it answered (the next `since`).
   */
  'store:ready': { validated: boolean; changed: string[]; at: number };
  /**
   * Reply to `store:seen`: `ready` tells a page on the worker without static routes to switch
   * to the routed version, `unsupported` tells a page on the routed version to switch back
   * (protocol/sw-url.ts `routed`).
   */
  'store:state': StoreStatus;
}

/** The HTTP-cache store as a whole (sw/http-cache/http-cache-store.ts). */
export type HttpCacheState = 'pending' | 'ready' | 'unsupported';

/**
 * Which store answers a page's files and why (sw/http-cache/README.md): the page, the console
 * and the relay's terminal and status all say it. `answering`: who answers a warm load's page
 * files now — the browser's HTTP cache (the routed version) or the worker. `state` is the
 * HTTP-cache store's, or `off` when there is none (another store chosen, a browser without
 * static routes, a worker that is not modrelay's own). `reason`: why the fast path is not on,
 * or null when it is (or was not asked for).
 */
export interface StoreStatus {
  store: 'http-cache' | 'cache-storage';
  state: HttpCacheState | 'off';
  answering: 'http-cache' | 'worker';
  reason: string | null;
}

/** The worker's link to the relay, as the page is told it. */
export type RelayState = 'connecting' | 'connected' | 'relay-unreachable' | 'origin-refused';

/** What the page posts to the SW, by name. */
export interface PageToSwEvents {
  /** Keeps the SW from idling out while a page is visible; never needed for correctness. */
  heartbeat: Record<never, never>;
  /** A page that just started asks how the link is (it missed the earlier `relay:status` posts); replied with one. */
  status: Record<never, never>;
  /**
   * The page has loaded and no served file came for a moment: the worker may write its caches
   * now. `urls`: the served files (and modrelay's own) it loaded since its last `loads:quiet`,
   * fragment-free; `first`: this is the document's first (its whole load so far), the worker
   * then replaces what it knew the page needs instead of adding to it (sw/cache/page-files.ts).
   */
  'loads:quiet': { urls: string[]; first: boolean };
  /** URLs the page loaded before the SW controlled it (page, boot script): cache them. */
  warm: { urls: string[] };
  /**
   * `store: 'http-cache'`: make the HTTP-cache copies current before the page imports;
   * replied with `store:ready`. `since`: the `at` of
   * this tab's last `store:ready` (its memory cache may hold what changed after), or the
   * page's `performance.timeOrigin` in a new tab.
   */
  'store:prepare': { since: number };
  /**
   * `store: 'http-cache'`: served-file URLs the page loaded; the worker keeps copies and
   * replies with `store:state` once it has tried them.
   * `fromCache`: those that came from a cache with no request (an untracked copy if the
   * worker has no record of it).
   */
  'store:seen': { urls: string[]; fromCache: string[] };
}

/**
 * The page's messages that are requests, and the reply each gets. A request carries a
 * `MessagePort` (one `MessageChannel` per request, as workbox-window's `messageSW()` does) and
 * the worker replies on it: client/post.ts `ask`, sw/pages/messages.ts `reply`.
 */
export interface SwReplies {
  status: 'relay:status';
  'store:prepare': 'store:ready';
  'store:seen': 'store:state';
}

export type SwReplyTo<K extends keyof SwReplies> = Extract<SwToPageMessage, { type: SwReplies[K] }>;

export type SwToPageMessage = {
  [K in keyof SwToPageEvents]: { source: 'modrelay'; type: K } & SwToPageEvents[K];
}[keyof SwToPageEvents];

export type PageToSwMessage = {
  [K in keyof PageToSwEvents]: { source: 'modrelay'; type: K } & PageToSwEvents[K];
}[keyof PageToSwEvents];
