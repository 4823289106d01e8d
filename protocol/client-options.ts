/**
 * Every option of `registerModuleRelay()` (client/) and of the worker (sw/), declared once:
 * its default and — for the ones the worker needs after a restart — its key in the worker's
 * script URL (sw-url.ts); beside it, how the docs show it. The client's and the worker's
 * defaults, the URL keys and the options table of docs/integration.md come from here
 * (test/docs/options-tables.test.ts checks the table). The docs are a separate object so the
 * bundles, which take only `CLIENT_OPTIONS`, do not carry them.
 */
import { BUDGET_MS, SERVED_EXTENSIONS } from './defaults.js';

export type StoreName = 'cache-storage' | 'http-cache';
export const STORE_NAMES: readonly StoreName[] = ['cache-storage', 'http-cache'];

export interface OptionDeclaration {
  /** The default; undefined when it is computed where the option is used. */
  default: unknown;
  /** Its key in the worker's script URL: the worker reads it there after every restart. */
  query?: string;
}

export const CLIENT_OPTIONS = {
  relayUrl: { default: undefined as string | undefined, query: 'relay' },
  swUrl: { default: '/sw.js' },
  scope: { default: '/' },
  timeout: { default: 5000 },
  budget: { default: BUDGET_MS, query: 'budget' },
  extensions: { default: SERVED_EXTENSIONS as readonly string[], query: 'ext' },
  memoryBytes: { default: 64 * 1024 * 1024, query: 'memory' },
  store: { default: 'http-cache' as StoreName, query: 'store' },
  reloadOnUpdate: { default: false },
  hotStylesheets: { default: true },
  overlay: { default: true },
  heartbeatMs: { default: 20_000 },
} as const satisfies Record<string, OptionDeclaration>;

/** How the docs table shows each option: its default, and one line. */
export const CLIENT_OPTION_DOCS = {
  relayUrl: { shown: 'what the server that served the client announced, else `ws://<page host>:8889/`', doc: 'the relay\'s WebSocket URL, or its path on the page\'s own server (`/ws/modules`: `wss://` under HTTPS)' },
  swUrl: { shown: "`'/sw.js'`", doc: 'where the worker script is served' },
  scope: { shown: "`'/'`", doc: 'registration scope; only URLs inside it are answered' },
  timeout: { shown: '`5000`', doc: 'ms to wait for control; then `status: \'timeout\'` and files load over HTTP' },
  budget: { shown: `\`${BUDGET_MS}\``, doc: 'ms a file fetch waits for the relay before using HTTP' },
  extensions: {
    shown: 'every type the relay serves by default (modules, JSON, CSS, wasm, images, fonts, media: README\'s [Security](../README.md#security))',
    doc: 'file extensions the worker answers (match the relay\'s `--ext`)',
  },
  memoryBytes: { shown: '`67108864` (64 MiB)', doc: 'bytes of bodies the worker keeps in memory (the rest are read from Cache Storage)' },
  store: {
    shown: "`'http-cache'`",
    doc: "where warm files live: `'http-cache'` (relay first, then the browser's HTTP cache answers them with no fetch event; the fastest warm reload) or `'cache-storage'` (the worker answers every file), see [Two stores](#two-stores-cache-storage-and-http-cache)",
  },
  reloadOnUpdate: { shown: '`false`', doc: 'reload the page when a file (or the page itself) changes' },
  hotStylesheets: { shown: '`true`', doc: 'swap a changed `<link rel=stylesheet>` in place instead of reloading; `false` treats it like any change' },
  overlay: { shown: '`true`', doc: 'show an app that fails to load (a syntax error, a missing module) in an overlay, not only in the console' },
  heartbeatMs: { shown: '`20000`', doc: 'keep the worker awake while the page is visible (0 = off)' },
} as const satisfies Record<keyof typeof CLIENT_OPTIONS, { shown: string; doc: string }>;

/** The store a worker keeps when its URL names none. */
export const DEFAULT_STORE: StoreName = CLIENT_OPTIONS.store.default;

/** The key in the script URL of the one option the page sets for the worker alone (sw-url.ts `routed`). */
export const ROUTED_QUERY = 'routed';
