import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { realpathSync } from 'node:fs';
import { resolveServeOptions, type ServeOptions } from './options.js';
import { ownFilesHandler } from './own-files.js';
import { createRelayInternal, listen, urlHost, type Relay, type RelayInternals } from './relay.js';
import { plain, staticHandler } from './static.js';

export interface Server {
  /** http://127.0.0.1:PORT/ */
  url: string;
  relay: Relay;
  close(): Promise<void>;
}

/**
 * The embedded default: static HTTP for the root, the built Service Worker at `/sw.js`, the
 * client at `/@modrelay/client.mjs` with this relay's URL baked in (so
 * `registerModuleRelay()` needs no arguments), and the relay itself on its own port, which
 * allows this HTTP server's loopback origins.
 */
export async function serve(options: ServeOptions): Promise<Server> {
  const { port, relay: relayOptions } = resolveServeOptions(options);
  const { host } = relayOptions;
  let relay: RelayInternals | undefined;
  const files = staticHandler(realpathSync(relayOptions.root), relayOptions.extensions, () => relay?.store);
  const checkHost = isLoopback(host);

  let relayUrl = '';
  const ownFiles = ownFilesHandler(() => relayUrl);
  const http = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) plain(response, 500, 'modrelay: internal error.\n');
      else response.destroy();
    });
  });
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    // DNS rebinding: a hostile name that resolves to 127.0.0.1 must not read the root.
    if (checkHost && !isLoopbackHostHeader(request.headers.host)) {
      return plain(response, 403, 'Forbidden: unexpected Host header.\n');
    }
    if (!(await ownFiles(request, response))) await files(request, response);
  };

  await listen(http, port, host);
  const httpPort = (http.address() as AddressInfo).port;
  try {
    relay = await createRelayInternal(relayOptions);
  } catch (error) {
    http.close();
    throw error;
  }
  relay.origins.allowLoopbackPort(httpPort);
  relayUrl = relay.url;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost(host)}:${httpPort}/`,
    relay: { url: relay.url, port: relay.port, close: () => relay.close() },
    close: () => {
      closing ??= (async () => {
        http.closeAllConnections();
        await Promise.all([new Promise<void>((resolve) => http.close(() => resolve())), relay.close()]);
      })();
      return closing;
    },
  };
}

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1';
}

function isLoopbackHostHeader(host: string | undefined): boolean {
  if (host === undefined) return true;
  let hostname: string;
  try {
    hostname = new URL(`http://${host}`).hostname;
  } catch {
    return false;
  }
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]' || hostname.endsWith('.localhost');
}
