/**
 * The modrelay wire protocol: every message between the relay (server/) and the Service
 * Worker (sw/); the worker ⇄ page messages are page-messages.ts. Types only — each side imports it
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
import type { StoreStatus } from './page-messages.js';

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
  /**
   * Headers the app's server sends with every file (`serve --header`, `relay --header`): the
   * worker adds them to the answers it makes itself, so `Cross-Origin-Embedder-Policy`, a CSP
   * and the like hold whoever answers.
   */
  headers?: Record<string, string>;
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

/**
 * The worker's store, told to the relay so its terminal and `/@modrelay/status` can say when the
 * fast path cannot engage. A notice, sent when it changes: nothing answers it, so it has no id.
 */
export interface WorkerStatus {
  type: 'worker:status';
  store: StoreStatus;
}

export type SwMessage = ModuleRequest | ModuleCheck | ManifestCheck | WorkerStatus;
