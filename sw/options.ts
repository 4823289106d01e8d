import { CLIENT_OPTIONS, STORE_NAMES, type StoreName } from '../protocol/client-options.js';
import { RELAY_PORT } from '../protocol/defaults.js';

/**
 * Options of the Service Worker engine. Our own `sw.js` reads them from its script URL
 * (protocol/sw-url.ts), so a worker the browser restarts with fresh globals knows them
 * without asking a page.
 */
export interface ModuleRelayOptions {
  /** WebSocket URL of the relay. Default: `ws://<this host>:8889/`. */
  relayUrl?: string;
  /** Milliseconds a module fetch may wait for the relay before going to HTTP. Default 500. */
  budget?: number;
  /**
   * File extensions answered through the relay, with the dot. Default: every type the relay
   * serves by default (modules, JSON, CSS, wasm, images, fonts, media: protocol/file-types.ts).
   */
  extensions?: readonly string[];
  /** URL prefix handled; default: the registration's scope. */
  scope?: string;
  /**
   * Bytes of module bodies kept in memory (least recently used dropped first; they stay in
   * Cache Storage). Default 64 MiB.
   */
  memoryBytes?: number;
  /**
   * Where warm modules live. `http-cache` (default): the worker answers from Cache Storage or
   * the relay (immune to a broken HTTP proxy) until every module the page loaded has a
   * verified copy in the browser's HTTP cache; from then on a routed version of the worker
   * lets the HTTP cache answer module fetches with no fetch event (the floor's speed). Needs
   * the static routing API and an HTTP server that honours protocol/http-cache.ts (detected;
   * elsewhere it stays with Cache Storage). `cache-storage`: always Cache Storage.
   */
  store?: StoreName;
  /** This version carries the static routes (protocol/sw-url.ts). Set by the client. */
  routed?: boolean;
}

export type ResolvedOptions = Required<ModuleRelayOptions>;

/** The worker's defaults, from the one declaration of each option (protocol/client-options.ts). */
export const DEFAULTS = {
  budget: CLIENT_OPTIONS.budget.default,
  extensions: CLIENT_OPTIONS.extensions.default,
  memoryBytes: CLIENT_OPTIONS.memoryBytes.default,
  store: CLIENT_OPTIONS.store.default,
  routed: false,
} as const;

export function resolveOptions(options: ModuleRelayOptions, self: ServiceWorkerGlobalScope): ResolvedOptions {
  const budget = options.budget ?? DEFAULTS.budget;
  if (!(budget >= 0) || !Number.isFinite(budget)) throw new TypeError(`modrelay: budget must be a finite number ≥ 0, got ${budget}`);
  const memoryBytes = options.memoryBytes ?? DEFAULTS.memoryBytes;
  if (!(memoryBytes >= 0) || !Number.isFinite(memoryBytes)) {
    throw new TypeError(`modrelay: memoryBytes must be a finite number ≥ 0, got ${memoryBytes}`);
  }
  const store = options.store ?? DEFAULTS.store;
  if (!STORE_NAMES.includes(store)) throw new TypeError(`modrelay: store must be one of ${STORE_NAMES.join(', ')}, got ${String(store)}`);
  const relayUrl = options.relayUrl ?? `ws://${self.location.hostname}:${RELAY_PORT}/`;
  if (!/^wss?:\/\//.test(relayUrl)) throw new TypeError(`modrelay: relayUrl must be a ws:// or wss:// URL, got ${relayUrl}`);
  return {
    relayUrl,
    budget,
    extensions: options.extensions ?? [...DEFAULTS.extensions],
    scope: options.scope ?? self.registration.scope,
    memoryBytes,
    store,
    routed: options.routed === true,
  };
}
