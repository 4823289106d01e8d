/**
 * The worker's options travel in the query of its own script URL
 * (`/sw.js?relay=ws%3A%2F%2F127.0.0.1%3A8889%2F&budget=500`), so a worker the browser restarts
 * with fresh globals knows them without asking a page. The client encodes, the worker decodes;
 * both use this file, and the keys are the options' `query` (client-options.ts). Values are
 * checked by the worker (sw/options.ts), not here.
 */
import { CLIENT_OPTIONS, DEFAULT_STORE, ROUTED_QUERY, type StoreName } from './client-options.js';

export { DEFAULT_STORE, STORE_NAMES, type StoreName } from './client-options.js';

/** What the script URL can carry. */
export interface ScriptUrlOptions {
  relayUrl?: string;
  budget?: number;
  extensions?: readonly string[];
  memoryBytes?: number;
  store?: StoreName;
  /**
   * `http-cache` store only: this worker version installs static routes, so file fetches
   * skip it and the HTTP cache answers them. A page switches to the routed version once every
   * file it loaded has a verified copy (sw/http-cache/README.md); static routes are fixed at
   * install, so routed and not routed are two versions of the worker, told apart by this flag.
   */
  routed?: boolean;
}

const KEYS = {
  relayUrl: CLIENT_OPTIONS.relayUrl.query,
  budget: CLIENT_OPTIONS.budget.query,
  extensions: CLIENT_OPTIONS.extensions.query,
  memoryBytes: CLIENT_OPTIONS.memoryBytes.query,
  store: CLIENT_OPTIONS.store.query,
  routed: ROUTED_QUERY,
} as const satisfies Record<keyof ScriptUrlOptions, string>;

/** `swUrl` with `options` in its query; the default store is left out. */
export function encodeScriptUrl(swUrl: string, options: ScriptUrlOptions): string {
  const query = new URLSearchParams();
  if (options.relayUrl !== undefined) query.set(KEYS.relayUrl, options.relayUrl);
  if (options.budget !== undefined) query.set(KEYS.budget, String(options.budget));
  if (options.extensions) query.set(KEYS.extensions, options.extensions.join(','));
  if (options.memoryBytes !== undefined) query.set(KEYS.memoryBytes, String(options.memoryBytes));
  if (options.store && options.store !== DEFAULT_STORE) query.set(KEYS.store, options.store);
  if (options.routed) query.set(KEYS.routed, '1');
  return `${swUrl}?${query}`;
}

export function decodeScriptUrl(scriptUrl: string): ScriptUrlOptions {
  const query = new URL(scriptUrl).searchParams;
  const options: ScriptUrlOptions = {};
  const number = (key: string) => {
    const value = query.get(key);
    return value === null || value === '' ? undefined : Number(value);
  };
  const relay = query.get(KEYS.relayUrl);
  if (relay) options.relayUrl = relay;
  const budget = number(KEYS.budget);
  if (budget !== undefined) options.budget = budget;
  const ext = query.get(KEYS.extensions);
  if (ext) options.extensions = ext.split(',');
  const memory = number(KEYS.memoryBytes);
  if (memory !== undefined) options.memoryBytes = memory;
  const store = query.get(KEYS.store);
  if (store) options.store = store as StoreName; // checked by the worker's resolveOptions
  if (query.get(KEYS.routed) === '1') options.routed = true;
  return options;
}
