import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';
import { sendText } from './send-text.js';

/**
 * `serve --proxy /api=http://127.0.0.1:8888`: requests under a prefix go to the app's
 * backend, path kept, WebSocket upgrades included (Vite's `server.proxy`). http-proxy-3 does
 * the proxying; `Host` becomes the target's and the original goes in `X-Forwarded-Host`
 * (with `-For`, `-Port`, `-Proto`). A backend that is down answers 502, never a crash.
 */
export class DevProxy {
  private readonly proxy = createProxyServer({ changeOrigin: true, xfwd: true, ws: true });
  /** Longest prefix first, so /api/v2 wins over /api. */
  private readonly routes: [string, string][];

  constructor(routes: Readonly<Record<string, string>>) {
    this.routes = Object.entries(routes).sort(([a], [b]) => b.length - a.length);
    this.proxy.on('error', (error, _request, target) => {
      if (target && 'writeHead' in target) {
        const response = target as ServerResponse;
        if (!response.headersSent) sendText(response, 502, `modrelay: the proxied backend did not answer (${error.message}).\n`);
        else response.destroy();
      } else {
        (target as Duplex | undefined)?.destroy();
      }
    });
  }

  private targetOf(url: string | undefined): string | undefined {
    const path = (url ?? '/').split('?')[0]!;
    return this.routes.find(([prefix]) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`))?.[1];
  }

  /** Proxies the request if it is under a prefix; false when it is not. */
  web(request: IncomingMessage, response: ServerResponse): boolean {
    const target = this.targetOf(request.url);
    if (!target) return false;
    this.proxy.web(request, response, { target });
    return true;
  }

  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const target = this.targetOf(request.url);
    if (!target) return false;
    socket.on('error', () => {});
    this.proxy.ws(request, socket, head, { target });
    return true;
  }

  close(): void {
    this.proxy.close();
  }
}
