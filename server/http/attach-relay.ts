import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { DEFAULT_MOUNT_PATH } from '../../protocol/defaults.js';
import { answerPreflight, corsHeaders, isPreflight, RefusalLog, refusalText, whoAsks } from '../access/cross-origin.js';
import { resolveRelayOptions, type RelayOptions } from '../config/options.js';
import { openDiskRelay } from '../relay/disk-relay.js';
import type { StatusReport } from '../relay/status.js';
import { modrelayCacheHeaders } from './middleware.js';
import { isOwnFile, ownFilesHandler } from './own-files.js';
import { sendText } from './send-text.js';

export interface MountOptions extends Omit<RelayOptions, 'port' | 'host'> {
  /** The path of the relay's socket on the app's server. Default '/ws/modules'. */
  path?: string;
  /** The app has its own service worker at `/sw.js`: the handler leaves that URL to the app. Default false. */
  appWorker?: boolean;
}

type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
type Next = (error?: unknown) => void;

/** The relay inside an app's own server: its socket on a path of that server, its HTTP routes as a handler. */
export interface MountedRelay {
  /** The socket's path, e.g. '/ws/modules': pages reach it on their own origin (`ws://` or `wss://`). */
  readonly path: string;
  /** Takes an upgrade for `path` and returns true; leaves any other untouched (false) for the app's own handlers. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /**
   * modrelay's HTTP routes, connect-style: the client (which then finds the relay at `path` on
   * the page's own origin), `/sw.js`, the hooks for an app's own worker and the status; for the
   * app's other requests it sets the default store's `Cache-Control` on the files modrelay serves
   * (middleware.ts) and calls `next` (without `next`, a 404).
   */
  handler(request: IncomingMessage, response: ServerResponse, next?: Next): void;
  /** What `GET /@modrelay/status` says now. */
  status(): StatusReport;
  /** Stops the watch and closes every relay socket; whatever was attached is detached. The app's server stays up. */
  close(): Promise<void>;
}

/** The relay with its upgrade and HTTP handlers, for an app server that routes upgrades itself. */
export async function mountRelay(options: MountOptions): Promise<MountedRelay> {
  const { path = DEFAULT_MOUNT_PATH, appWorker = false, ...relayOptions } = options;
  if (typeof path !== 'string' || !path.startsWith('/') || /[?#\s]/.test(path)) {
    throw new TypeError(`modrelay: path must be a URL path like '/ws/modules', got ${JSON.stringify(path)}`);
  }
  const resolved = resolveRelayOptions(relayOptions);
  const relay = await openDiskRelay(resolved);
  const ownFiles = ownFilesHandler(() => path, () => appWorker);
  const cacheHeaders = modrelayCacheHeaders({ extensions: resolved.extensions });
  const refusals = new RefusalLog(resolved.log.warn);
  const pathOf = (request: IncomingMessage) => (request.url ?? '/').split('?')[0];

  const answer = async (request: IncomingMessage, response: ServerResponse, next: Next): Promise<void> => {
    if (relay.handleRequest(request, response)) return; // the status, with its own policy
    if (!isOwnFile(request, appWorker)) return cacheHeaders(request, response, next);
    // modrelay's own files carry the one cross-origin policy of serve (access/cross-origin.ts).
    const asker = whoAsks(request, relay.origins);
    if (asker.kind === 'foreign') {
      refusals.refused(asker, `${request.method} ${pathOf(request)}`);
      return sendText(response, 403, refusalText(asker));
    }
    corsHeaders(response, asker);
    if (isPreflight(request)) return answerPreflight(request, response);
    await ownFiles(request, response);
  };
  return {
    path,
    handleUpgrade(request, socket, head) {
      if (pathOf(request) !== path) return false;
      relay.handleUpgrade(request, socket, head);
      return true;
    },
    handler(request, response, next = () => sendText(response, 404, 'Not found.\n')) {
      answer(request, response, next).catch((error: unknown) => {
        if (!response.headersSent) sendText(response, 500, 'modrelay: internal error.\n');
        else response.destroy(error instanceof Error ? error : undefined);
      });
    },
    status: () => relay.report(),
    close: () => relay.close(),
  };
}

/**
 * The relay on `server` (an `http.Server`, `https.Server`, or an `http2` secure server that
 * allows HTTP/1): its socket at `options.path` on that server's port (and TLS). Mount
 * `handler` where the app's routes go (its HTTP routes: the client, `/sw.js`, the status).
 */
export async function attachRelay(server: EventEmitter, options: MountOptions): Promise<MountedRelay> {
  const mounted = await mountRelay(options);
  const detach = routeUpgrades(server, mounted.handleUpgrade);
  let closing: Promise<void> | undefined;
  return {
    ...mounted,
    close: () => (closing ??= (detach(), mounted.close())),
  };
}

/**
 * Puts `take` in front of the server's other upgrade listeners: they keep every upgrade it
 * leaves, and never see one it takes — a `ws` server attached with `{ server, path }` answers
 * 400 to any upgrade not on its own path, which would end the relay's socket. Listeners the
 * app adds later go behind it too. The returned function puts them back as they were.
 */
function routeUpgrades(server: EventEmitter, take: (request: IncomingMessage, socket: Duplex, head: Buffer) => boolean): () => void {
  const others = server.listeners('upgrade') as UpgradeListener[];
  for (const listener of others) server.removeListener('upgrade', listener);
  const dispatch: UpgradeListener = (request, socket, head) => {
    if (take(request, socket, head)) return;
    if (others.length === 0) return void socket.destroy(); // what Node does when nobody listens
    for (const listener of [...others]) listener.call(server, request, socket, head);
  };
  const adopt = (event: string | symbol, listener: UpgradeListener) => {
    if (event !== 'upgrade' || listener === dispatch) return;
    // 'newListener' comes before the listener is added; no I/O event runs before this microtask.
    queueMicrotask(() => {
      if (!server.listeners('upgrade').includes(listener)) return;
      server.removeListener('upgrade', listener);
      others.push(listener);
    });
  };
  server.on('upgrade', dispatch);
  server.on('newListener', adopt);
  return () => {
    server.removeListener('newListener', adopt);
    server.removeListener('upgrade', dispatch);
    for (const listener of others) server.on('upgrade', listener);
  };
}
