import type { Duplex } from 'node:stream';

/** Refuses a WebSocket upgrade (a Host, an Origin) with a 403 and the reason, then closes the socket. */
export function refuseUpgrade(socket: Duplex, text: string): void {
  socket.end(`HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text}`);
}
