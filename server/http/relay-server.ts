import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolveRelayOptions, type RelayOptions, type ResolvedRelayOptions } from '../config/options.js';
import { openDiskRelay, type DiskRelay } from '../relay/disk-relay.js';
import type { RelayCore } from '../relay/relay.js';
import type { StatusReport } from '../relay/status.js';
import { closeServer, listen, urlHost } from './listen.js';

export interface Relay {
  /** ws://127.0.0.1:PORT/ */
  url: string;
  port: number;
  /** What `GET /@modrelay/status` says now: clients, files known, the last changes. */
  status(): StatusReport;
  /** Closes every socket, the watcher and the port. */
  close(): Promise<void>;
}

/**
 * Puts a relay on a port of its own: an HTTP server that answers the relay's routes and its
 * upgrades, and `426` to anything else. The loopback origins of that port are allowed.
 */
export async function listenRelay(core: RelayCore, host: string, port: number): Promise<Relay> {
  const http = createServer((request, response) => {
    if (core.handleRequest(request, response)) return;
    response.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
    response.end('modrelay relay: connect with a WebSocket.\n');
  });
  http.on('upgrade', core.handleUpgrade);
  await listen(http, port, host);
  const bound = (http.address() as AddressInfo).port;
  core.origins.allowLoopbackPort(bound);
  return { url: `ws://${urlHost(host)}:${bound}/`, port: bound, status: core.report, close: () => closeServer(http) };
}

/** The disk relay on its own port (what `modrelay relay` runs), with the handles `serve` and tests use. */
export async function startRelay(resolved: ResolvedRelayOptions): Promise<Relay & { relay: DiskRelay }> {
  const relay = await openDiskRelay(resolved);
  let server: Relay;
  try {
    server = await listenRelay(relay, resolved.host, resolved.port);
  } catch (error) {
    await relay.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    ...server,
    relay,
    close: () => (closing ??= relay.close().then(() => server.close())),
  };
}

/** Starts the relay for `options.root` on its own port (`modrelay relay`). */
export async function createRelay(options: RelayOptions): Promise<Relay> {
  const { url, port, status, close } = await startRelay(resolveRelayOptions(options));
  return { url, port, status, close }; // exactly what `Relay` declares
}
