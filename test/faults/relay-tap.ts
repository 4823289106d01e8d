import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import { decodeModuleFrame } from '../../protocol/frame-codec.js';

/**
 * A transparent WebSocket hop between the Service Worker and the relay that counts what
 * crosses it: module requests (SW → relay) and module bodies (relay → SW, answered or
 * pushed). Tests point the page's relay URL at the tap to see how often each module really
 * travelled. It forwards the browser's Origin, so the relay's origin check still applies.
 */
export interface TapStats {
  /** `module:request` frames by path. */
  requests: Map<string, number>;
  /** Module bodies received (binary module frames) by path. */
  bodies: Map<string, number>;
  /** Control messages by type, both directions. */
  types: Map<string, number>;
  /** The paths each `manifest:check` (SW → relay) listed, in order. */
  checks: string[][];
  /** `module:request`s for a path an earlier answer on the same socket had listed in `push`. */
  requestsForPushed: number;
  connections: number;
}

export interface RelayTap {
  url: string;
  stats: TapStats;
  /** The longest any request (SW → relay) since `resetStats` waited for its answer, in ms; one still unanswered counts until now. */
  slowestAnswerMs(): number;
  resetStats(): void;
  /** Drops every connection and stops listening: to the SW the relay is gone. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

function emptyStats(): TapStats {
  return { requests: new Map(), bodies: new Map(), types: new Map(), checks: [], requestsForPushed: 0, connections: 0 };
}

const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

function toBuffer(data: RawData): Buffer {
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
}

export async function startRelayTap(relayUrl: string): Promise<RelayTap> {
  let stats = emptyStats();
  // Requests waiting for their answer, per connection (ids are per socket), and the longest wait since the last reset.
  const unanswered = new Set<Map<number, number>>();
  let slowest = 0;
  let wss: WebSocketServer | null = null;
  let port = 0;

  function onConnection(down: WebSocket, req: IncomingMessage): void {
    stats.connections++;
    const origin = req.headers.origin;
    const up = new WebSocket(relayUrl, { headers: origin ? { origin } : {}, maxPayload: 256 * 1024 * 1024 });
    const queue: [Buffer, boolean][] = [];
    const announced = new Set<string>();
    const askedAt = new Map<number, number>();
    const answered = (id: unknown) => {
      const at = typeof id === 'number' ? askedAt.get(id) : undefined;
      if (at === undefined) return;
      askedAt.delete(id as number);
      slowest = Math.max(slowest, Date.now() - at);
    };
    unanswered.add(askedAt);
    down.on('close', () => unanswered.delete(askedAt));
    up.on('open', () => {
      for (const [data, isBinary] of queue.splice(0)) up.send(data, { binary: isBinary });
    });
    down.on('message', (data, isBinary) => {
      const buf = toBuffer(data);
      if (!isBinary) {
        try {
          const msg = JSON.parse(buf.toString('utf8')) as { type?: string; id?: unknown; path?: string; entries?: Record<string, string> };
          bump(stats.types, `sw:${msg.type}`);
          if (typeof msg.id === 'number') askedAt.set(msg.id, Date.now());
          if (msg.type === 'manifest:check') stats.checks.push(Object.keys(msg.entries ?? {}).sort());
          if (msg.type === 'module:request' && typeof msg.path === 'string') {
            bump(stats.requests, msg.path);
            if (announced.has(msg.path)) stats.requestsForPushed++;
          }
        } catch {
          bump(stats.types, 'sw:unparsable');
        }
      }
      if (up.readyState === WebSocket.OPEN) up.send(buf, { binary: isBinary });
      else queue.push([buf, isBinary]);
    });
    up.on('message', (data, isBinary) => {
      const buf = toBuffer(data);
      if (isBinary) {
        const frame = decodeModuleFrame(buf);
        if (frame) {
          bump(stats.bodies, frame.header.path);
          answered(frame.header.id);
          for (const path of frame.header.push ?? []) announced.add(path);
        }
      } else {
        try {
          const msg = JSON.parse(buf.toString('utf8')) as { type?: string; id?: unknown };
          bump(stats.types, `relay:${msg.type}`);
          answered(msg.id);
        } catch {
          bump(stats.types, 'relay:unparsable');
        }
      }
      if (down.readyState === WebSocket.OPEN) down.send(buf, { binary: isBinary });
    });
    // Mirror closes; codes 1005/1006 cannot be sent, so those become a plain close.
    const closeCode = (code: number) => (code === 1005 || code === 1006 ? 1000 : code);
    up.on('close', (code) => down.close(closeCode(code)));
    up.on('error', () => down.terminate());
    down.on('close', () => up.terminate());
    down.on('error', () => up.terminate());
  }

  async function start(): Promise<void> {
    if (wss) return;
    const server = new WebSocketServer({ host: '127.0.0.1', port, maxPayload: 256 * 1024 * 1024 });
    server.on('connection', onConnection);
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    port = (server.address() as AddressInfo).port;
    wss = server;
  }

  async function stop(): Promise<void> {
    const server = wss;
    wss = null;
    if (!server) return;
    for (const client of server.clients) client.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  await start();
  return {
    url: `ws://127.0.0.1:${port}/`,
    get stats() {
      return stats;
    },
    slowestAnswerMs() {
      const now = Date.now();
      let ms = slowest;
      for (const asked of unanswered) for (const at of asked.values()) ms = Math.max(ms, now - at);
      return ms;
    },
    resetStats() {
      stats = emptyStats();
      slowest = 0;
    },
    stop,
    start,
    close: stop,
  };
}
