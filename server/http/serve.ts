import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { STATUS_PATH } from '../../protocol/defaults.js';
import { answerPreflight, corsHeaders, isPreflight, RefusalLog, refusalText, whoAsks } from '../access/cross-origin.js';
import { HostAllowlist } from '../access/hosts.js';
import { resolveServeOptions, type ServeOptions } from '../config/options.js';
import { sendStatus } from '../relay/status.js';
import { DevProxy } from './dev-proxy.js';
import { closeServer, listen, urlHost } from './listen.js';
import { APP_WORKER_NOTE, ownFilesHandler } from './own-files.js';
import { startRelay, type Relay } from './relay-server.js';
import { refuseUpgrade } from '../access/refuse-upgrade.js';
import { sendText } from './send-text.js';
import { staticHandler } from './static.js';

export interface Server {
  /** http://127.0.0.1:PORT/ */
  url: string;
  relay: Relay;
  close(): Promise<void>;
}

/**
 * The embedded default: static HTTP for the root (answered from the relay's store, see
 * static.ts), the built Service Worker at `/sw.js`, the client at `/@modrelay/client.mjs`
 * with this relay's URL baked in (so `registerModuleRelay()` needs no arguments), and the
 * relay itself on its own port, which allows this HTTP server's loopback origins.
 */
export async function serve(options: ServeOptions): Promise<Server> {
  const { port, fallback, proxy, relay: relayOptions } = resolveServeOptions(options);
  const { headers } = relayOptions;
  const { host, log } = relayOptions;
  const relayServer = await startRelay(relayOptions);
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
  const http = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) sendText(response, 500, 'modrelay: internal error.\n');
      else response.destroy();
    });
  });
  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
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

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost(host)}:${httpPort}/`,
    relay: { url: relayServer.url, port: relayServer.port, close: () => relayServer.close() },
    close: () => {
      closing ??= (async () => {
        backend.close();
        await Promise.all([closeServer(http), relayServer.close()]);
      })();
      return closing;
    },
  };
}
