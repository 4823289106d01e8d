import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { RELAY_PORT, SERVE_PORT } from '../../protocol/defaults.js';
import { FILE_TYPES, MODULE_TYPES } from '../../protocol/file-types.js';
import { SILENT, type Log } from './log.js';

/** Options of `createRelay`. Every field but `root` is optional; defaults are in `RELAY_DEFAULTS`. */
export interface RelayOptions {
  /** Folder served; required. */
  root: string;
  /** TCP port; default 8889; 0 picks a free one. */
  port?: number;
  /** Interface to listen on; default '127.0.0.1' (loopback only). */
  host?: string;
  /**
   * Extra Origins allowed to open a socket. By default only loopback origins of the relay's own
   * port (and, under `serve`, of the HTTP port) are allowed; requests without an Origin header
   * (non-browser clients) are always allowed.
   */
  allowOrigins?: string[];
  /**
   * Host names requests may carry besides IP addresses, `localhost`, `*.localhost` and the
   * listen host (DNS-rebinding protection, see hosts.ts); ".example.com" allows subdomains.
   */
  allowedHosts?: string[];
  /**
   * Extensions served, with the dot, replacing the default allowlist: modules (.mjs .js .cjs)
   * and the assets of protocol/file-types.ts (JSON, CSS, wasm, images, fonts, media, …).
   */
  extensions?: string[];
  /** Serve assets too (the default allowlist above); false: modules only. Ignored with `extensions`. Default true. */
  assets?: boolean;
  /** Largest module served, in bytes; default 16 MiB. */
  maxFileSize?: number;
  /** Largest inbound WebSocket frame, in bytes; default 4 MiB. */
  maxPayload?: number;
  /** Requests one connection may have unanswered at once; default 64. */
  maxInFlight?: number;
  /**
   * Watcher coalescing window in ms, default 20: events of a burst are collected until this
   * long passes without one. The first change after a quiet period is flushed within 3 ms.
   */
  debounceMs?: number;
  /**
   * A client that reads nothing for this many ms while answers wait for it is closed with
   * 1008 (its requests stop being read long before: memory stays bounded); default 30000.
   */
  stallTimeoutMs?: number;
  /** Where to say what happens (changes, clients, refusals); default silent. The CLI prints to the terminal. */
  log?: Log;
  /** Watch the root and broadcast changes; default true. */
  watch?: boolean;
  /**
   * Headers of every answer for the root's files: `serve` adds them to its HTTP answers, and the
   * relay tells the worker (`hello`), which adds them to the answers it makes itself, so
   * `Cross-Origin-Embedder-Policy` or a CSP hold whoever answers. For `relay` beside an app's
   * own server: the headers that server sends with every file.
   */
  headers?: Record<string, string>;
  /**
   * Read, hash and lex the root's modules (up to 5,000) in the background at start-up, so the
   * first page load is answered from memory; default true.
   */
  prewarm?: boolean;
}

export const RELAY_DEFAULTS = {
  port: RELAY_PORT,
  host: '127.0.0.1',
  allowOrigins: [] as string[],
  allowedHosts: [] as string[],
  extensions: Object.keys(FILE_TYPES) as readonly string[],
  assets: true,
  maxFileSize: 16 * 1024 * 1024,
  maxPayload: 4 * 1024 * 1024,
  maxInFlight: 64,
  debounceMs: 20,
  stallTimeoutMs: 30_000,
  watch: true,
  prewarm: true,
  headers: {} as Record<string, string>,
} as const;

/** Bounds that are not options: they keep one frame from making the relay do unbounded work. */
export const LIMITS = {
  /** Entries in one `manifest:check` or one `have` map. */
  maxManifestEntries: 20_000,
  /** Modules in one pushed import closure. */
  maxClosure: 5_000,
  /** Characters in one module path. */
  maxPathLength: 4096,
} as const;

export type ResolvedRelayOptions = Required<RelayOptions>;

function positiveInteger(name: string, value: number, allowZero = false): number {
  if (!Number.isSafeInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new TypeError(`modrelay: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${value}`);
  }
  return value;
}

function checkPort(name: string, port: number): number {
  if (port > 65535) throw new TypeError(`modrelay: ${name} must be at most 65535, got ${port}`);
  return positiveInteger(name, port, true);
}

/** Header names and values that can go on the wire as given; a TypeError otherwise. */
function checkHeaders(headers: Record<string, string>): Record<string, string> {
  for (const [name, value] of Object.entries(headers)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || typeof value !== 'string' || /[\r\n]/.test(value)) {
      throw new TypeError(`modrelay: not a valid header: ${JSON.stringify(name)}: ${JSON.stringify(value)}`);
    }
  }
  return headers;
}

/** Fills defaults and throws a TypeError for impossible values (a missing root among them). */
export function resolveRelayOptions(options: RelayOptions): ResolvedRelayOptions {
  if (!options || typeof options.root !== 'string' || options.root === '') {
    throw new TypeError('modrelay: options.root (the folder to serve) is required');
  }
  const root = resolve(options.root);
  let isDirectory = false;
  try {
    isDirectory = statSync(root).isDirectory();
  } catch {
    // reported below
  }
  if (!isDirectory) throw new TypeError(existsSync(root) ? `modrelay: root is not a folder: ${root}` : `modrelay: root folder not found: ${root}`);

  const extensions = options.extensions ?? Object.keys(options.assets === false ? MODULE_TYPES : FILE_TYPES);
  for (const ext of extensions) {
    if (!/^\.[A-Za-z0-9]+$/.test(ext)) {
      throw new TypeError(`modrelay: extensions must look like ".mjs", got ${JSON.stringify(ext)}`);
    }
  }
  return {
    root,
    port: checkPort('port', options.port ?? RELAY_DEFAULTS.port),
    host: options.host ?? RELAY_DEFAULTS.host,
    allowOrigins: (options.allowOrigins ?? []).map((origin) => origin.replace(/\/+$/, '')),
    allowedHosts: options.allowedHosts ?? [],
    extensions,
    assets: options.assets ?? RELAY_DEFAULTS.assets,
    maxFileSize: positiveInteger('maxFileSize', options.maxFileSize ?? RELAY_DEFAULTS.maxFileSize),
    maxPayload: positiveInteger('maxPayload', options.maxPayload ?? RELAY_DEFAULTS.maxPayload),
    maxInFlight: positiveInteger('maxInFlight', options.maxInFlight ?? RELAY_DEFAULTS.maxInFlight),
    debounceMs: positiveInteger('debounceMs', options.debounceMs ?? RELAY_DEFAULTS.debounceMs, true),
    stallTimeoutMs: positiveInteger('stallTimeoutMs', options.stallTimeoutMs ?? RELAY_DEFAULTS.stallTimeoutMs),
    log: options.log ?? SILENT,
    watch: options.watch ?? RELAY_DEFAULTS.watch,
    prewarm: options.prewarm ?? RELAY_DEFAULTS.prewarm,
    headers: checkHeaders(options.headers ?? {}),
  };
}

/** Options of `serve`: the relay's, plus the HTTP port; `port` is the HTTP port here. */
export interface ServeOptions extends Omit<RelayOptions, 'port'> {
  /** HTTP port; default 8080; 0 picks a free one. */
  port?: number;
  /** Relay (WebSocket) port; default 8889; 0 picks a free one. */
  relayPort?: number;
  /** History fallback: a GET navigation to a path with no file and no extension answers /index.html. */
  spa?: boolean;
  /** Like `spa`, answering with this root-relative file instead, e.g. '/app.html'. */
  fallback?: string;
  /** URL prefix → backend origin: requests under the prefix (HTTP and WebSocket) are proxied there, path kept. */
  proxy?: Record<string, string>;
  /**
   * HTTPS on `port`, with the relay at `wss://` on the same port ('/ws/modules'): a self-signed
   * certificate made on first use and kept in the user's cache folder, unless `cert` and `key` name one.
   */
  https?: boolean;
  /** PEM certificate file for `https` (with `key`). */
  cert?: string;
  /** PEM private key file for `https` (with `cert`). */
  key?: string;
}

export const SERVE_DEFAULTS = { port: SERVE_PORT, relayPort: RELAY_PORT } as const;

export interface ResolvedServeOptions {
  /** The HTTP port (the host and root are the relay's). */
  port: number;
  /** The file navigations with no file answer, or null (no history fallback). */
  fallback: string | null;
  proxy: Record<string, string>;
  /** null: plain HTTP; 'self-signed': made and kept by certificate.ts; else the PEM files given. */
  https: null | 'self-signed' | { cert: string; key: string };
  relay: ResolvedRelayOptions;
}

/** `resolveRelayOptions` for `serve`: the one place its options are checked. */
export function resolveServeOptions(options: ServeOptions): ResolvedServeOptions {
  const { port = SERVE_DEFAULTS.port, relayPort = SERVE_DEFAULTS.relayPort, spa, fallback, proxy = {}, https, cert, key, ...relayOptions } = options ?? ({} as ServeOptions);
  const relay = resolveRelayOptions({ ...relayOptions, port: relayPort } as RelayOptions);
  if (fallback !== undefined && (typeof fallback !== 'string' || fallback === '')) throw new TypeError('modrelay: fallback must be a file path under the root');
  for (const [prefix, target] of Object.entries(proxy)) {
    if (!prefix.startsWith('/')) throw new TypeError(`modrelay: a proxy prefix must start with "/", got ${JSON.stringify(prefix)}`);
    if (!/^(https?|wss?):\/\/[^/]/.test(String(target))) throw new TypeError(`modrelay: proxy ${prefix} needs an http:// or https:// target, got ${JSON.stringify(target)}`);
  }
  const file = fallback !== undefined ? `/${fallback.replace(/^\/+/, '')}` : spa ? '/index.html' : null;
  if ((cert === undefined) !== (key === undefined)) throw new TypeError('modrelay: cert and key go together (PEM files of one certificate)');
  const tls = cert !== undefined && key !== undefined ? { cert: resolve(cert), key: resolve(key) } : https ? 'self-signed' as const : null;
  return { port: checkPort('port', port), fallback: file, proxy, https: tls, relay };
}
