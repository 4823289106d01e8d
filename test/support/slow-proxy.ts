import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A real TCP proxy on loopback that holds every chunk coming back from the target for
 * `delayMs` before passing it on: a relay slower than the worker's budget, without
 * touching the relay. Requests towards the target pass at once.
 */
export async function slowProxy(targetPort: number, delayMs: number) {
  const sockets = new Set<Socket>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let bytesBack = 0;
  const server = createServer((client) => {
    const upstream = new (client.constructor as typeof Socket)();
    upstream.connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => { client.destroy(); upstream.destroy(); sockets.delete(socket); });
    }
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        bytesBack += chunk.byteLength;
        if (!client.destroyed) client.write(chunk);
      }, delayMs);
      timers.add(timer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}/`,
    /** Bytes delivered from the target to clients so far. */
    bytesBack: () => bytesBack,
    close: () => {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
