import { randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Hello, ProtocolVersion } from '../protocol/wire.js';
import { ModuleStore } from './module-store.js';
import { resolveRelayOptions, type RelayOptions, type ResolvedRelayOptions } from './options.js';
import { whoAsks } from './cross-origin.js';
import { HostAllowlist } from './hosts.js';
import { OriginAllowlist } from './origins.js';
import { prewarm } from './prewarm.js';
import { Slices } from './slices.js';
import { Sockets } from './sockets.js';
import { sendStatus, STATUS_PATH, type StatusReport } from './status.js';
import { VERSION } from './version.js';
import { watchRoot, type RootWatcher } from './watcher.js';

const PROTOCOL_VERSION: ProtocolVersion = 1;

export interface Relay {
  /** ws://127.0.0.1:PORT/ */
  url: string;
  port: number;
  /** Closes every socket, the watcher and the port. */
  close(): Promise<void>;
}

/** Internal handle for `serve`, which allows its own HTTP origins once its port is known. */
export interface RelayInternals extends Relay {
  origins: OriginAllowlist;
  /** Settles when the start-up read-ahead is done (at once when `prewarm` is off). */
  prewarmed: Promise<unknown>;
  /** The root's modules, read and hashed once per change: `serve` answers HTTP from it too. */
  store: ModuleStore;
  /** What `GET /@modrelay/status` says now. */
  report(): StatusReport;
}

/**
 * Starts the relay: an HTTP server that only upgrades to WebSocket, one `ModuleStore` for
 * the root, and a watcher whose changes are broadcast to every socket.
 */
export async function createRelay(options: RelayOptions): Promise<Relay> {
  const { url, port, close } = await createRelayInternal(resolveRelayOptions(options));
  return { url, port, close }; // exactly what `Relay` declares
}

export async function createRelayInternal(resolved: ResolvedRelayOptions): Promise<RelayInternals> {
  const realRoot = realpathSync(resolved.root);
  const origins = new OriginAllowlist(resolved.allowOrigins);
  const store = new ModuleStore(realRoot, resolved.extensions, resolved.maxFileSize);
  const hello = helloOf(resolved);

  const hosts = new HostAllowlist(resolved.host, resolved.allowedHosts);
  const sockets = new Sockets(hosts, origins, { store, hello, maxInFlight: resolved.maxInFlight, slices: new Slices(), stallTimeoutMs: resolved.stallTimeoutMs }, resolved.maxPayload, resolved.log);
  const http: HttpServer = createServer((request, response) => {
    // The worker asks here why it cannot connect (down, or its origin refused): see sw/link.ts.
    if (request.method === 'GET' && request.url?.split('?')[0] === STATUS_PATH && hosts.allows(request.headers.host)) {
      return sendStatus(request, response, report(), whoAsks(request, origins));
    }
    response.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
    response.end('modrelay relay: connect with a WebSocket.\n');
  });
  const report = (): StatusReport => ({
    version: VERSION, root: realRoot, clients: sockets.size, known: store.knownPaths().length,
    watcher: watcher ? 'watching' : 'off', changes: sockets.changes,
  });
  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => sockets.upgrade(request, socket, head));

  await listen(http, resolved.port, resolved.host);
  const port = (http.address() as AddressInfo).port;
  origins.allowLoopbackPort(port);

  let watcher: RootWatcher | undefined;
  try {
    if (resolved.watch) watcher = await watchRoot(realRoot, store, resolved.extensions, resolved.debounceMs, (batch) => sockets.broadcast(batch));
  } catch (error) {
    http.close();
    throw error;
  }

  const stopPrewarm = new AbortController();
  const prewarmed = resolved.prewarm
    ? prewarm(store, realRoot, resolved.extensions, stopPrewarm.signal).catch(() => 0)
    : Promise.resolve(0);

  let closing: Promise<void> | undefined;
  return {
    url: `ws://${urlHost(resolved.host)}:${port}/`,
    port,
    origins,
    prewarmed,
    store,
    report,
    close: () => {
      closing ??= (async () => {
        stopPrewarm.abort();
        await prewarmed;
        await watcher?.close();
        sockets.close();
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
      })();
      return closing;
    },
  };
}

/** The first frame of every connection: what this relay is and what it allows. */
function helloOf(resolved: ResolvedRelayOptions): Hello {
  return {
    type: 'hello',
    protocol: PROTOCOL_VERSION,
    relayId: randomUUID(),
    version: VERSION,
    extensions: [...resolved.extensions],
    limits: { maxPayload: resolved.maxPayload, maxInFlight: resolved.maxInFlight, maxFileSize: resolved.maxFileSize },
  };
}

/** Listens, turning 'error' (EADDRINUSE, EACCES) into a rejection. */
export function listen(server: HttpServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Host as written in a URL: a wildcard listen address is reached through loopback. */
export function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
