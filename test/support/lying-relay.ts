import { sha256 } from './sha256.js';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { encodeModuleFrame } from '../../protocol/frame-codec.js';
import type { Hello, SwMessage } from '../../protocol/wire.js';

/**
 * A relay that speaks the protocol correctly but lies about bodies: every module it sends
 * carries `body`, with the hash (and size) of `claimed`. It validates any manifest as
 * current. Used to show the worker neither caches nor serves what fails its hash.
 * `version`: what its hello says modrelay's version is (another than the page's copies).
 */
export async function lyingRelay(body: string, claimed: string, version?: string) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  let requests = 0;
  const hello: Hello = {
    type: 'hello', protocol: 1, relayId: 'liar', extensions: ['.mjs', '.js'], ...(version ? { version } : {}),
    limits: { maxPayload: 4 << 20, maxInFlight: 64, maxFileSize: 16 << 20 },
  };
  wss.on('connection', (socket) => {
    socket.send(JSON.stringify(hello));
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as SwMessage;
      if (message.type === 'manifest:check') {
        socket.send(JSON.stringify({ type: 'manifest:status', id: message.id, changed: {}, removed: [] }));
      } else if (message.type === 'module:request') {
        requests++;
        const bytes = Buffer.from(body);
        const claim = Buffer.from(claimed);
        const hash = sha256(claim);
        socket.send(encodeModuleFrame({
          type: 'module:response', id: message.id, path: message.path, hash,
          contentType: 'text/javascript; charset=utf-8', size: bytes.byteLength,
        }, bytes));
      }
    });
  });
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => {
      for (const client of wss.clients) client.terminate();
      wss.close(() => resolve());
    }),
  };
}
