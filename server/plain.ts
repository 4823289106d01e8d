import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** A short text answer (errors, refusals), never cached. */
export function plain(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
  response.end(body);
}

/** Refuses a WebSocket upgrade with a 403 and a reason, then closes the socket. */
export function refuseUpgrade(socket: Duplex, text: string): void {
  socket.end(`HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text}`);
}
