import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ModuleRemoved, ModuleUpdated } from '../../protocol/wire.js';
import type { StoreStatus } from '../../protocol/page-messages.js';
import { openConnection, type Connection, type ConnectionContext } from './connection.js';
import type { HostAllowlist } from '../access/hosts.js';
import type { Log } from '../config/log.js';
import type { OriginAllowlist } from '../access/origins.js';
import type { ChangeBatch } from '../watch/changes.js';
import { ownOrigin } from '../access/cross-origin.js';
import { refuseUpgrade } from '../access/refuse-upgrade.js';

/** Store reasons the terminal remembers having said; past this it says no more. */
const MAX_REASONS = 64;

/**
 * The relay's WebSocket side: upgrades checked against the Host and Origin allowlists, one
 * `Connection` per socket, and broadcasts of the watcher's changes to all of them.
 */
export class Sockets {
  /** The last announced changes, newest first (the status report shows them). */
  readonly changes: { at: string; path: string; change: 'updated' | 'removed' }[] = [];
  /** Each socket's connection, so broadcasts queue behind its answers (see Connection.notify). */
  private readonly connections = new WeakMap<WebSocket, Connection>();
  private readonly wss: WebSocketServer;
  /** Each socket's Origin, for the status. */
  private readonly originOf = new WeakMap<WebSocket, string>();
  /** Store reasons said in the terminal already (origin + reason). */
  private readonly saidReasons = new Set<string>();

  constructor(
    private readonly hosts: HostAllowlist,
    private readonly origins: OriginAllowlist,
    private readonly context: ConnectionContext,
    maxPayload: number,
    private readonly log: Log,
  ) {
    // permessage-deflate is off: slow and memory-fragmenting under concurrency (nodejs/node#8871),
    // and pointless on loopback. `noServer` so the upgrade is checked here, not in verifyClient.
    this.wss = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false });
  }

  /** The HTTP server's 'upgrade' listener. */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {});
    const { host, origin } = request.headers;
    // A page of the very server the relay is mounted on (attachRelay) is its own origin; the
    // Host check first keeps a rebound name from passing for it.
    const refusal = !this.hosts.allows(host)
      ? `Host ${host} is not allowed (add it with --allowed-host)`
      : !this.origins.allows(origin) && origin !== ownOrigin(request)
        ? `Origin ${origin} is not allowed (add it with --allow-origin)`
        : null;
    if (refusal) {
      this.log.warn(!this.hosts.allows(host) ? `Host ${host} refused: add --allowed-host ${hostname(host)}` : `origin ${origin} refused: add --allow-origin ${origin}`);
      refuseUpgrade(socket, `modrelay: ${refusal}.\n`);
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws: WebSocket) => {
      const who = origin ?? 'a client without Origin';
      this.log.info(`connected: ${who} (${this.wss.clients.size} connected)`);
      ws.once('close', () => this.log.info(`disconnected: ${who} (${this.wss.clients.size} connected)`));
      this.connections.set(ws, openConnection(ws, this.context, (store) => this.storeSaid(who, store)));
      this.originOf.set(ws, who);
    });
  }

  broadcast(batch: ChangeBatch): void {
    const frames: string[] = [];
    if (batch.updated.length > 0) frames.push(JSON.stringify({ type: 'module:updated', modules: batch.updated } satisfies ModuleUpdated));
    if (batch.removed.length > 0) frames.push(JSON.stringify({ type: 'module:removed', paths: batch.removed } satisfies ModuleRemoved));
    let told = 0;
    for (const client of this.wss.clients) {
      const connection = this.connections.get(client);
      if (client.readyState !== client.OPEN || !connection) continue;
      for (const frame of frames) connection.notify(frame);
      told++;
    }
    const clients = `${told} client${told === 1 ? '' : 's'} told`;
    const at = new Date().toISOString();
    for (const { path } of batch.updated) {
      this.log.info(`updated ${path} (${clients})`);
      this.changes.unshift({ at, path, change: 'updated' });
    }
    for (const path of batch.removed) {
      this.log.info(`removed ${path} (${clients})`);
      this.changes.unshift({ at, path, change: 'removed' });
    }
    this.changes.length = Math.min(this.changes.length, 20);
  }

  get size(): number {
    return this.wss.clients.size;
  }

  /** What each connected worker said of its store (the status's `workers`). */
  workers(): (StoreStatus & { origin: string })[] {
    const found: (StoreStatus & { origin: string })[] = [];
    for (const client of this.wss.clients) {
      const store = this.connections.get(client)?.store;
      if (store) found.push({ origin: this.originOf.get(client) ?? 'unknown', ...store });
    }
    return found;
  }

  /**
   * A worker told its store: a terminal line when the fast path cannot engage, once per origin
   * and reason (a page that reloads says the same each time), bounded like the refusal log.
   */
  private storeSaid(who: string, store: StoreStatus): void {
    if (store.reason === null) return;
    const key = `${who} ${store.reason}`;
    if (this.saidReasons.has(key) || this.saidReasons.size >= MAX_REASONS) return;
    this.saidReasons.add(key);
    this.log.warn(`${who}: the fast path (${store.store}) is ${store.state}: ${store.reason}`);
  }

  close(): void {
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
  }
}

function hostname(host: string | undefined): string {
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return String(host);
  }
}
