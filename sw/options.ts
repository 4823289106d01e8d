/**
 * Options of the Service Worker engine. Our own `sw.js` reads them from its script URL
 * (`/sw.js?relay=ws%3A%2F%2F127.0.0.1%3A8889%2F&budget=500&memory=67108864`), so a worker the browser
 * restarts with fresh globals knows them without asking a page.
 */
export interface ModuleRelayOptions {
  /** WebSocket URL of the relay. Default: `ws://<this host>:8889/`. */
  relayUrl?: string;
  /** Milliseconds a module fetch may wait for the relay before going to HTTP. Default 500. */
  budget?: number;
  /** File extensions answered through the relay, with the dot. Default ['.mjs', '.js']. */
  extensions?: string[];
  /** URL prefix handled; default: the registration's scope. */
  scope?: string;
  /**
   * Bytes of module bodies kept in memory (least recently used dropped first; they stay in
   * Cache Storage). Default 64 MiB.
   */
  memoryBytes?: number;
  /**
   * Where warm modules live. `cache-storage` (default): Cache Storage, every module answered
   * by the worker, immune to a broken HTTP proxy. `http-cache`: the browser's HTTP cache,
   * module fetches never reach the worker (the floor's speed); needs an HTTP server that
   * honours protocol/http-store.ts (`modrelay serve` does) and the static routing API
   * (elsewhere it behaves as `cache-storage`).
   */
  store?: Store;
}

export type Store = 'cache-storage' | 'http-cache';
export const STORES: readonly Store[] = ['cache-storage', 'http-cache'];

export type ResolvedOptions = Required<ModuleRelayOptions>;

export const DEFAULTS = { budget: 500, extensions: ['.mjs', '.js'], memoryBytes: 64 * 1024 * 1024, store: 'cache-storage' } as const;

export function resolveOptions(options: ModuleRelayOptions, self: ServiceWorkerGlobalScope): ResolvedOptions {
  const budget = options.budget ?? DEFAULTS.budget;
  if (!(budget >= 0) || !Number.isFinite(budget)) throw new TypeError(`modrelay: budget must be a finite number ≥ 0, got ${budget}`);
  const memoryBytes = options.memoryBytes ?? DEFAULTS.memoryBytes;
  if (!(memoryBytes >= 0) || !Number.isFinite(memoryBytes)) {
    throw new TypeError(`modrelay: memoryBytes must be a finite number ≥ 0, got ${memoryBytes}`);
  }
  const store = options.store ?? DEFAULTS.store;
  if (!STORES.includes(store)) throw new TypeError(`modrelay: store must be one of ${STORES.join(', ')}, got ${String(store)}`);
  const relayUrl = options.relayUrl ?? `ws://${self.location.hostname}:8889/`;
  if (!/^wss?:\/\//.test(relayUrl)) throw new TypeError(`modrelay: relayUrl must be a ws:// or wss:// URL, got ${relayUrl}`);
  return {
    relayUrl,
    budget,
    extensions: options.extensions ?? [...DEFAULTS.extensions],
    scope: options.scope ?? self.registration.scope,
    memoryBytes,
    store,
  };
}

/** Options carried in the query of the worker's own script URL. */
export function optionsFromScriptUrl(scriptUrl: string): ModuleRelayOptions {
  const query = new URL(scriptUrl).searchParams;
  const options: ModuleRelayOptions = {};
  const relay = query.get('relay');
  if (relay) options.relayUrl = relay;
  const budget = query.get('budget');
  if (budget !== null && budget !== '') options.budget = Number(budget);
  const ext = query.get('ext');
  if (ext) options.extensions = ext.split(',');
  const memory = query.get('memory');
  if (memory !== null && memory !== '') options.memoryBytes = Number(memory);
  const store = query.get('store');
  if (store) options.store = store as Store; // checked by resolveOptions
  return options;
}
