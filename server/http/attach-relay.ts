import type { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
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
  /** The app has its own service worker at `/sw.js`: the handler leaves that URL to the app. Default: whether the root has a sw.js. */
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
  const { path = DEFAULT_MOUNT_PATH, appWorker: declared, ...relayOptions } = options;
  if (typeof path !== 'string' || !path.startsWith('/') || /[?#\s]/.test(path)) {
    throw new TypeError(`modrelay: path must be a URL path like '/ws/modules', got ${JSON.stringify(path)}`);
  }
  const resolved = resolveRelayOptions(relayOptions);
  const relay = await openDiskRelay(resolved);
  // Like serve: an app's own sw.js in the root keeps its URL.
  const appWorker = declared ?? existsSync(join(relay.store.realRoot, 'sw.js'));
  const ownFiles = ownFilesHandler(() => path, () => appWorker);
  const cacheHeaders = modrelayCacheHeaders({ extensions: resolved.extensions });
  const refusals = new RefusalLog(resolved.log.warn);
  const pathOf = (request: IncomingMessage) => (request.url ?? '/').split('?')[0];

  /** modrelay's own files, under the one cross-origin policy of serve (access/cross-origin.ts). */
  const answerOwnFile = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
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
      if (relay.handleRequest(request, response)) return; // the status, with its own policy
      // The app's requests go on to `next` outside any promise of ours: its errors stay its own.
      if (!isOwnFile(request, appWorker)) return cacheHeaders(request, response, next);
      answerOwnFile(request, response).catch((error: unknown) => {
        resolved.log.warn(`modrelay: ${request.method} ${pathOf(request)} failed: ${error instanceof Error ? error.message : String(error)}`);
        if (!response.headersSent) sendText(response, 500, 'modrelay: internal error.\n');
        else response.destroy();
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

/** Each relay's stand-in upgrade listener (see routeUpgrades). */
const standIns = new WeakSet<UpgradeListener>();

/**
 * Lets `take` see every upgrade before the server's own listeners, which never see one it
 * takes: a `ws` server attached with `{ server, path }` answers 400 to any path but its own,
 * which would end the relay's socket. It wraps the server's `emit` instead of moving listeners,
 * so the app's own `on`, `once` and `removeListener` (a `ws` server's `close()`) work as
 * always, whenever they happen. Node emits `upgrade` only while someone listens: a stand-in
 * listener keeps it coming, and refuses an upgrade nobody else wants. The returned function
 * undoes both.
 */
function routeUpgrades(server: EventEmitter, take: (request: IncomingMessage, socket: Duplex, head: Buffer) => boolean): () => void {
  const emit = server.emit;
  const hadOwn = Object.hasOwn(server, 'emit');
  let attached = true;
  const routed = function (this: EventEmitter, event: string | symbol, ...args: unknown[]): boolean {
    if (attached && event === 'upgrade' && take(...(args as [IncomingMessage, Duplex, Buffer]))) return true;
    return emit.call(this, event, ...args);
  };
  server.emit = routed;
  const standIn: UpgradeListener = (_request, socket) => {
    const listeners = server.listeners('upgrade');
    if (listeners[0] !== standIn || !listeners.every((listener) => standIns.has(listener as UpgradeListener))) return;
    socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  };
  standIns.add(standIn);
  server.on('upgrade', standIn);
  return () => {
    server.removeListener('upgrade', standIn);
    attached = false; // a wrapper put on top of ours since still calls it: it passes everything through now
    if (server.emit !== routed) return;
    if (hadOwn) server.emit = emit;
    else delete (server as { emit?: unknown }).emit;
  };
}
