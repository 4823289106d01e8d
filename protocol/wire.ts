/**
 * The modrelay wire protocol: every message between the relay (server/), the
 * Service Worker (sw/) and the page (client/). Types only — each side imports it
 * with `import type`, so nothing here reaches a bundle.
 *
 * Framing (see docs/protocol.md):
 * - Control messages are JSON text frames holding one `RelayMessage` or `SwMessage`.
 * - A `module:response` travels as ONE binary frame, so megabytes of source are never
 *   JSON-escaped:
 *
 *     [u32 big-endian: byte length of header][header: UTF-8 JSON ModuleResponse][body bytes]
 *
 *   `size` in the header is the body length; the receiver checks it and the sha-256.
 *
 * Paths are root-relative URL paths: they start with "/", use "/" separators, carry no
 * query or fragment, and are percent-decoded ("/lib/disk.mjs" is `<root>/lib/disk.mjs`).
 */

/**
 * Bumped on any incompatible change; the SW drops its cache when it changes. Each side
 * writes `const PROTOCOL_VERSION: ProtocolVersion = 1`, so a bump here fails to compile
 * until both are updated.
 */
export type ProtocolVersion = 1;

/** sha-256 of the body, lowercase hex, all 64 digits. */
export type Hash = string;
/** Root-relative URL path, e.g. "/lib/disk.mjs". */
export type FilePath = string;

/** Codes of `module:error` (and of the SW's own failures). Messages live in errors.ts. */
export type ErrorCode =
  | 'not-found'
  | 'forbidden'
  | 'too-large'
  | 'bad-request'
  | 'unsupported-type'
  | 'too-many-requests'
  | 'internal'
  /** The worker's own: a body failed its sha-256 check. The relay never sends it. */
  | 'hash-mismatch';

// ───────────────────────────── relay → SW ─────────────────────────────

/** First frame on every connection. */
export interface Hello {
  type: 'hello';
  protocol: ProtocolVersion;
  /** Random per relay process: a new id means a restart, so the SW revalidates. */
  relayId: string;
  /** modrelay's version (package.json) on the relay's side: the page warns when its copies differ. */
  version?: string;
  /** File extensions the relay serves, with the dot: [".mjs", ".js"]. */
  extensions: string[];
  limits: {
    /** Largest inbound frame the relay accepts, in bytes. */
    maxPayload: number;
    /** Requests one connection may have unanswered at once; more get `too-many-requests`. */
    maxInFlight: number;
    /** Largest module file served, in bytes; larger ones get `too-large`. */
    maxFileSize: number;
  };
}

/** Header of the binary frame that carries one module (see framing above). */
export interface ModuleResponse {
  type: 'module:response';
  /** The `id` of the `module:request` it answers; absent on pushed modules. */
  id?: number;
  path: FilePath;
  hash: Hash;
  /** e.g. "text/javascript; charset=utf-8" */
  contentType: string;
  /** Body length in bytes. */
  size: number;
  /**
   * On the answer to a request with `deps: true`: the paths that follow in the same
   * burst (the part of the static import closure the requester lacks), so the receiver
   * can wait for them instead of asking again.
   */
  push?: FilePath[];
}

export interface ModuleError {
  type: 'module:error';
  /** The `id` of the request it answers; absent for frames that could not be parsed. */
  id?: number;
  path?: FilePath;
  code: ErrorCode;
  message: string;
}

export interface ModuleStatus {
  type: 'module:status';
  id: number;
  path: FilePath;
  /** `current`: the hash sent is the file's hash; `changed`: it is `hash`; `gone`: no such module. */
  status: 'current' | 'changed' | 'gone';
  hash?: Hash;
}

export interface ManifestStatus {
  type: 'manifest:status';
  id: number;
  /** Paths whose hash differs from the one sent, with the current hash. */
  changed: Record<FilePath, Hash>;
  /** Paths that no longer exist or are no longer served. */
  removed: FilePath[];
}

/** Files changed on disk, coalesced over one debounce window (an editor save is one entry). */
export interface ModuleUpdated {
  type: 'module:updated';
  modules: { path: FilePath; hash: Hash }[];
}

export interface ModuleRemoved {
  type: 'module:removed';
  paths: FilePath[];
}

export type RelayMessage =
  | Hello
  | ModuleResponse
  | ModuleError
  | ModuleStatus
  | ManifestStatus
  | ModuleUpdated
  | ModuleRemoved;

// ───────────────────────────── SW → relay ─────────────────────────────

export interface ModuleRequest {
  type: 'module:request';
  /** Chosen by the sender, echoed in the answer. A non-negative safe integer. */
  id: number;
  path: FilePath;
  /** Also push the static import closure of `path`, minus what `have` already holds. */
  deps?: boolean;
  /** Hashes the sender already holds; pushed modules whose hash matches are skipped. */
  have?: Record<FilePath, Hash>;
}

export interface ModuleCheck {
  type: 'module:check';
  id: number;
  path: FilePath;
  hash: Hash;
}

export interface ManifestCheck {
  type: 'manifest:check';
  id: number;
  entries: Record<FilePath, Hash>;
}

export type SwMessage = ModuleRequest | ModuleCheck | ManifestCheck;

// ─────────────────────── SW ⇄ page (postMessage) ───────────────────────

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
  'relay:status': { connected: boolean; validated: boolean; state: RelayState; relayVersion: string | null; workerVersion: string };
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
  'store:state': { state: HttpCacheState };
}

/** The HTTP-cache store as a whole (sw/http-cache/http-cache-store.ts `state()`). */
export type HttpCacheState = 'pending' | 'ready' | 'unsupported';

/** The worker's link to the relay, as the page is told it. */
export type RelayState = 'connecting' | 'connected' | 'relay-unreachable' | 'origin-refused';

/** What the page posts to the SW, by name. */
export interface PageToSwEvents {
  /** Keeps the SW from idling out while a page is visible; never needed for correctness. */
  heartbeat: Record<never, never>;
  /** A page that just started asks how the link is (it missed the earlier `relay:status` posts); replied with one. */
  status: Record<never, never>;
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
