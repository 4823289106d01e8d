/**
 * Every default and name that two ends of modrelay share: the relay and `serve` (server/),
 * the Service Worker (sw/) and the page's client (client/). Plain constants, no imports, so
 * each bundle takes only what it uses.
 */

/** The relay's WebSocket port, when it has a port of its own. */
export const RELAY_PORT = 8889;
/** The relay's path on an app's own server (`attachRelay`), and on `modrelay serve --https`'s port. */
export const DEFAULT_MOUNT_PATH = '/ws/modules';
/** `modrelay serve`'s HTTP port. */
export const SERVE_PORT = 8080;
/** How long the worker waits for the relay before it asks plain HTTP, in ms (its `budget` option). */
export const BUDGET_MS = 500;
/**
 * File extensions the worker answers by default, with the dot: every type the relay serves
 * by default (protocol/file-types.ts), modules and assets.
 */
export { SERVED_EXTENSIONS } from './file-types.js';

/** The content type of every JavaScript module answer, over the socket and over HTTP. */
export const JS_CONTENT_TYPE = 'text/javascript; charset=utf-8';
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Prefix of every Cache Storage cache modrelay owns (older versions are deleted on activate). */
export const CACHE_PREFIX = 'modrelay-';
/** Cache Storage holding the `cache-storage` store's bodies; carries the protocol version. */
export const CACHE_NAME = `${CACHE_PREFIX}v1`;
/** IndexedDB of the `cache-storage` store: URL → metadata. */
export const CACHE_STORAGE_DB = { database: 'modrelay', store: 'modules' } as const;
/** IndexedDB of the headers the worker's answers carry (sw/fetch/headers.ts). */
export const HEADERS_DB = { database: 'modrelay-headers', store: 'headers' } as const;

/**
 * Headers the worker learns from the app's own page and adds to the answers it makes: the ones
 * that make a page and its Workers cross-origin isolated, which a server sends with every file.
 */
export const LEARNED_HEADERS = ['cross-origin-embedder-policy', 'cross-origin-opener-policy', 'cross-origin-resource-policy', 'origin-agent-cluster'] as const;

/** IndexedDB of the `http-cache` store: URL → record of its immutable copy. */
export const HTTP_CACHE_DB = { database: 'modrelay-http-cache', store: 'copies' } as const;

/**
 * The literal the client bundle carries where the relay URL goes: `modrelay serve` replaces
 * every copy of it with its relay's URL when it serves the client (a path, e.g. '/ws/modules',
 * when the relay is on the page's own server: the client adds the page's origin).
 */
export const RELAY_URL_PLACEHOLDER = '__MODRELAY_RELAY_URL__';

/** URLs under this path are modrelay's own files (the client), never the app's modules. */
export const OWN_PATH_PREFIX = '/@modrelay/';
/** Where `modrelay serve` serves the client (`init` writes it into the root under another name). */
export const CLIENT_PATH = `${OWN_PATH_PREFIX}client.mjs`;
/** Where `serve` serves the hooks for an app's own worker, for `importScripts` (`init` writes them as modrelay-worker.js). */
export const WORKER_HOOKS_PATH = `${OWN_PATH_PREFIX}worker.js`;
/** The status of `serve` and of the relay's port (server/relay/status.ts); the worker probes it (sw/relay/relay-state.ts). */
export const STATUS_PATH = `${OWN_PATH_PREFIX}status`;
