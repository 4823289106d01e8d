import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_PATH } from '../../protocol/defaults.js';
import type { Hello, ProtocolVersion } from '../../protocol/wire.js';
import { Queue } from '../../lib/queue.js';
import { whoAsks } from '../access/cross-origin.js';
import type { HostAllowlist } from '../access/hosts.js';
import type { OriginAllowlist } from '../access/origins.js';
import type { Log } from '../config/log.js';
import { VERSION } from '../config/version.js';
import type { ChangeBatch, Source } from '../files/source.js';
import { Sockets } from './sockets.js';
import { sendStatus, type StatusReport } from './status.js';

const PROTOCOL_VERSION: ProtocolVersion = 1;

/**
 * The relay, independent of the HTTP server it is reached through: `handleUpgrade` for that
 * server's 'upgrade' event, `handleRequest` for its requests (the relay's own routes), and
 * `announce` for whoever watches the source. `createRelay` puts it on a port of its own
 * (server/http/relay-server.ts); `serve` runs one beside its HTTP server.
 */
export interface RelayCore {
  /** Upgrades to the relay's socket, after the Host and Origin checks (a refusal is a 403). */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Answers the relay's own HTTP routes (`GET /@modrelay/status`); false for any other request. */
  handleRequest(request: IncomingMessage, response: ServerResponse): boolean;
  /** Tells every client about changed and removed files. */
  announce(batch: ChangeBatch): void;
  /** Who may open a socket (and read the status): the HTTP server adds its own origins. */
  readonly origins: OriginAllowlist;
  /** What `GET /@modrelay/status` says now. */
  report(): StatusReport;
  /** Closes every socket; the HTTP server is its owner's. */
  close(): void;
}

export interface RelaySettings {
  hosts: HostAllowlist;
  origins: OriginAllowlist;
  /** What `hello` says this relay serves and allows, and the headers of every file. */
  extensions: readonly string[];
  headers: Record<string, string>;
  maxPayload: number;
  maxInFlight: number;
  maxFileSize: number;
  stallTimeoutMs: number;
  log: Log;
  /** The status's `root` and `watcher` fields, as the source's owner knows them. */
  describe(): Pick<StatusReport, 'root' | 'watcher'>;
}

/** The relay over any source (server/files/source.ts). */
export function relayOver(source: Source, settings: RelaySettings): RelayCore {
  const { hosts, origins, log } = settings;
  const hello: Hello = {
    type: 'hello',
    protocol: PROTOCOL_VERSION,
    relayId: randomUUID(),
    version: VERSION,
    extensions: [...settings.extensions],
    ...(Object.keys(settings.headers).length > 0 ? { headers: settings.headers } : {}),
    limits: { maxPayload: settings.maxPayload, maxInFlight: settings.maxInFlight, maxFileSize: settings.maxFileSize },
  };
  const sockets = new Sockets(hosts, origins, {
    source, hello, maxInFlight: settings.maxInFlight, slices: new Queue(1, setImmediate), stallTimeoutMs: settings.stallTimeoutMs,
  }, settings.maxPayload, log);
  const report = (): StatusReport => ({
    version: VERSION, ...settings.describe(), clients: sockets.size, known: source.knownCount(), changes: sockets.changes, workers: sockets.workers(),
  });
  return {
    origins,
    report,
    handleUpgrade: (request, socket, head) => sockets.upgrade(request, socket, head),
    handleRequest: (request, response) => {
      // The worker asks here why it cannot connect (down, or its origin refused): see sw/relay/relay-state.ts.
      if (request.method !== 'GET' || request.url?.split('?')[0] !== STATUS_PATH || !hosts.allows(request.headers.host)) return false;
      sendStatus(request, response, report(), whoAsks(request, origins));
      return true;
    },
    announce: (batch) => sockets.broadcast(batch),
    close: () => sockets.close(),
  };
}
