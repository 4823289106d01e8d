import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { DEFAULT_MOUNT_PATH, STATUS_PATH } from '../../protocol/defaults.js';
import { answerPreflight, corsHeaders, isPreflight, RefusalLog, refusalText, whoAsks } from '../access/cross-origin.js';
import { HostAllowlist } from '../access/hosts.js';
import { resolveServeOptions, type ResolvedServeOptions, type ServeOptions } from '../config/options.js';
import type { DiskRelay } from '../relay/disk-relay.js';
import { openDiskRelay } from '../relay/disk-relay.js';
import { sendStatus } from '../relay/status.js';
import { serveCertificate, type Certificate } from './certificate.js';
import { DevProxy } from './dev-proxy.js';
import { closeServer, listen, urlHost } from './listen.js';
import { APP_WORKER_NOTE, ownFilesHandler } from './own-files.js';
import { startRelay, type Relay } from './relay-server.js';
import { refuseUpgrade } from '../access/refuse-upgrade.js';
import { sendText } from './send-text.js';
import { staticHandler } from './static.js';

export interface Server {
  /** http://127.0.0.1:PORT/ (https:// with `https`) */
  url: string;
  relay: Relay;
  /** With `https`: the certificate it answers with (`spki` trusts it in Chromium, see docs/inside-your-server.md). */
  certificate: Certificate | null;
  close(): Promise<void>;
}

/**
 * The relay beside serve's HTTP server: on a port of its own, or (`https`) on serve's own port
 * at DEFAULT_MOUNT_PATH, so a page over HTTPS reaches it as `wss://` on its own origin.
 */
async function relayFor(relayOptions: ResolvedServeOptions['relay'], mounted: boolean): Promise<Relay & { relay: DiskRelay }> {
  if (!mounted) return startRelay(relayOptions);
  const relay = await openDiskRelay(relayOptions);
  return { relay, url: DEFAULT_MOUNT_PATH, port: 0, status: () => relay.report(), close: () => relay.close() };
}

/**
 * The embedded default: static HTTP for the root (answered from the relay's store, see
 * static.ts), the built Service Worker at `/sw.js`, the client at `/@modrelay/client.mjs`
 * with this relay's URL baked in (so `registerModuleRelay()` needs no arguments), and the
 * relay itself on its own port, which allows this HTTP server's loopback origins.
 */
export async function serve(options: ServeOptions): Promise<Server> {
  const { port, fallback, proxy, https, relay: relayOptions } = resolveServeOptions(options);
  const { headers } = relayOptions;
  const { host, log } = relayOptions;
  const certificate = https ? await serveCertificate(https, host) : null;
  const relayServer = await relayFor(relayOptions, certificate !== null);
  const { relay } = relayServer;
  const files = staticHandler(relay.store, fallback);
  const appWorker = join(relay.store.realRoot, 'sw.js');
  const ownFiles = ownFilesHandler(() => relayServer.url, () => existsSync(appWorker));
  if (existsSync(appWorker)) log.warn(APP_WORKER_NOTE);
  const hosts = new HostAllowlist(host, relayOptions.allowedHosts);
  const backend = new DevProxy(proxy);
  const refusals = new RefusalLog(log.warn);

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    // DNS rebinding: a hostile name that resolves to this address must not read the root.
    if (!hosts.allows(request.headers.host)) {
      log.warn(`Host ${request.headers.host} refused: add --allowed-host`);
      return sendText(response, 403, `Forbidden: Host ${request.headers.host} is not allowed (add it with --allowed-host).\n`);
    }
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    response.once('finish', () => log.debug(`${request.method} ${request.url} ${response.statusCode}`));
    const asker = whoAsks(request, relay.origins);
    const isStatus = request.method === 'GET' && request.url?.split('?')[0] === STATUS_PATH;
    // Before the dev proxy too: a foreign page must not reach the backend with the developer's cookies.
    if (asker.kind === 'foreign' && !isStatus) {
      refusals.refused(asker, `${request.method} ${request.url?.split('?')[0]}`);
      return sendText(response, 403, refusalText(asker));
    }
    if (backend.web(request, response)) return; // the backend answers CORS for its own routes
    if (isStatus) return sendStatus(request, response, relay.report(), asker);
    corsHeaders(response, asker);
    if (isPreflight(request)) return answerPreflight(request, response);
    if (!(await ownFiles(request, response))) await files(request, response);
  };
  const answer = (request: IncomingMessage, response: ServerResponse) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) sendText(response, 500, 'modrelay: internal error.\n');
      else response.destroy();
    });
  };
  const http: HttpServer = certificate ? createHttpsServer({ key: certificate.key, cert: certificate.cert }, answer) : createServer(answer);
  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    // The relay's own checks (Host, Origin: the page's own is allowed) apply at its path.
    if (certificate && request.url?.split('?')[0] === DEFAULT_MOUNT_PATH) return relay.handleUpgrade(request, socket, head);
    if (!hosts.allows(request.headers.host)) return socket.destroy();
    // Browsers send Origin on every WebSocket handshake: a foreign page gets no socket to the backend.
    const asker = whoAsks(request, relay.origins);
    if (asker.kind === 'foreign') {
      refusals.refused(asker, `WebSocket ${request.url?.split('?')[0]}`);
      return refuseUpgrade(socket, refusalText(asker));
    }
    if (!backend.upgrade(request, socket, head)) socket.destroy();
  });
  try {
    await listen(http, port, host);
  } catch (error) {
    await relayServer.close();
    throw error;
  }
  const httpPort = (http.address() as AddressInfo).port;
  relay.origins.allowLoopbackPort(httpPort);
  const relayUrl = certificate ? `wss://${urlHost(host)}:${httpPort}${DEFAULT_MOUNT_PATH}` : relayServer.url;

  let closing: Promise<void> | undefined;
  return {
    url: `${certificate ? 'https' : 'http'}://${urlHost(host)}:${httpPort}/`,
    relay: { url: relayUrl, port: certificate ? httpPort : relayServer.port, status: relayServer.status, close: () => relayServer.close() },
    certificate,
    close: () => {
      closing ??= (async () => {
        backend.close();
        await Promise.all([closeServer(http), relayServer.close()]);
      })();
      return closing;
    },
  };
}
