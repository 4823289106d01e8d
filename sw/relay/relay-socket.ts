import ReconnectingWebSocket from 'partysocket/ws';
import { decodeModuleFrame } from '../../protocol/frame-codec.js';
import type {
  Hello, ManifestStatus, ModuleError, ModuleRemoved, ModuleResponse, ModuleStatus, ModuleUpdated, ProtocolVersion,
  RelayMessage, SwMessage, WorkerStatus,
} from '../../protocol/wire.js';

const PROTOCOL_VERSION: ProtocolVersion = 1;

/** What the owner of the socket hears, synchronously and in wire order. */
export interface RelaySocketEvents<Frame> {
  /** `hello` with our protocol version arrived: requests may be sent. */
  ready(hello: Hello): void;
  /** The link dropped (or a connection attempt failed). Pending requests were rejected. */
  down(): void;
  /** Another connection attempt failed while the link was down already. */
  stillDown(): void;
  /**
   * Every module frame, pushed or answering a request. Called synchronously in wire order,
   * so the owner can note a `push` list before the pushed frames arrive; what it returns is
   * what `request()` resolves with for framed answers.
   */
  module(header: ModuleResponse, body: Uint8Array): Frame;
  updated(message: ModuleUpdated): void;
  removed(message: ModuleRemoved): void;
}

export type Answer<Frame> = { frame: Frame } | ModuleError | ModuleStatus | ManifestStatus;

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
/** Messages that are answered: they carry an id. */
type SwRequest = Exclude<SwMessage, WorkerStatus>;
type Outgoing = WithoutId<SwRequest>;

interface Pending<Frame> {
  resolve(answer: Answer<Frame>): void;
  reject(error: Error): void;
  sentAt: number;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * A request with no answer after this long is given up: a malformed frame or a lost answer
 * must not hold one of the relay's in-flight slots for the life of the link (every request
 * after it would queue behind a slot that never frees). Callers race shorter budgets.
 */
export const REQUEST_TIMEOUT_MS = 30_000;

/** Reconnect quickly: the relay is on loopback, and a page load is waiting. */
const SOCKET_OPTIONS = {
  minReconnectionDelay: 200,
  maxReconnectionDelay: 5_000,
  reconnectionDelayGrowFactor: 2,
  connectionTimeout: 3_000,
  minUptime: 2_000,
  // Requests are raced against a budget; one sent after reconnecting would be stale.
  maxEnqueuedMessages: 0,
};

/** A lazy reconnect (on the next fetch) at most this often while the relay is down. */
const KICK_INTERVAL_MS = 1_000;

/**
 * The Service Worker's one WebSocket to the relay: partysocket reconnects with capped
 * exponential backoff (plus the jitter it lacks, added in the URL provider); this class adds
 * the hello handshake, request ids, a pending map, and the relay's in-flight limit with a
 * local queue. A browser stops an idle worker and its socket with it (Chromium after ~30 s idle; the socket's traffic does not count as activity),
 * so nothing here assumes the link lives long.
 */
export class RelaySocket<Frame> {
  state: 'connecting' | 'open' | 'ready' | 'down' = 'connecting';
  hello: Hello | null = null;
  private socket: ReconnectingWebSocket;
  private nextId = 1;
  private pending = new Map<number, Pending<Frame>>();
  private queue: SwRequest[] = [];
  private lastKick = 0;

  constructor(private readonly url: string, private readonly events: RelaySocketEvents<Frame>) {
    this.socket = this.open();
  }

  private open(): ReconnectingWebSocket {
    this.state = 'connecting';
    const jittered = () => {
      // partysocket's backoff has no jitter; many tabs' workers would retry in lockstep.
      const retry = socket.retryCount > 0;
      return retry ? new Promise<string>((r) => setTimeout(r, Math.random() * 250, this.url)) : this.url;
    };
    const socket = new ReconnectingWebSocket(jittered, undefined, SOCKET_OPTIONS);
    socket.binaryType = 'arraybuffer';
    // A socket replaced by kick() may still fire; only the current one speaks.
    socket.addEventListener('open', () => { if (socket === this.socket) this.state = 'open'; });
    socket.addEventListener('close', () => { if (socket === this.socket) this.lost(); });
    socket.addEventListener('message', (event) => { if (socket === this.socket) this.receive(event.data); });
    return socket;
  }

  /**
   * Called on a fetch while the link is down: try again now instead of after the backoff
   * (the relay may have restarted). partysocket ignores reconnect() while it waits out a
   * delay, so a fresh socket replaces it. Returns false when nothing was attempted.
   */
  kick(): boolean {
    if (this.state !== 'down' || Date.now() - this.lastKick < KICK_INTERVAL_MS) return false;
    this.lastKick = Date.now();
    const old = this.socket;
    this.socket = this.open();
    old.close();
    return true;
  }

  /** True while some request has waited longer than `ms`: the relay is lagging. */
  lagging(ms: number): boolean {
    const now = Date.now();
    for (const { sentAt } of this.pending.values()) if (now - sentAt > ms) return true;
    return false;
  }

  /** Sends a notice nothing answers (`worker:status`), now if the link is ready; else it is dropped. */
  send(message: WorkerStatus): void {
    if (this.state === 'ready') this.socket.send(JSON.stringify(message));
  }

  /** Rejects when the link drops or no answer came within `timeoutMs` (queued time included). */
  request(message: Outgoing, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Answer<Frame>> {
    if (this.state !== 'ready') return Promise.reject(new Error('relay not connected'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.giveUp(id), timeoutMs);
      this.pending.set(id, { resolve, reject, sentAt: Date.now(), timer });
      this.queue.push({ ...message, id } as SwRequest);
      this.flush();
    });
  }

  private giveUp(id: number): void {
    const waiting = this.pending.get(id);
    if (!waiting) return;
    this.pending.delete(id);
    this.queue = this.queue.filter((message) => message.id !== id);
    waiting.reject(new Error('no answer from the relay'));
    this.flush();
  }

  private flush(): void {
    const limit = this.hello?.limits.maxInFlight ?? 1;
    // `pending` also holds the queued requests, so in flight = pending − queued.
    while (this.queue.length > 0 && this.pending.size - this.queue.length < limit) {
      const message = this.queue.shift()!;
      this.pending.get(message.id)!.sentAt = Date.now();
      this.socket.send(JSON.stringify(message));
    }
  }

  private settle(id: number | undefined, answer: Answer<Frame>): void {
    if (id === undefined) return;
    const waiting = this.pending.get(id);
    if (!waiting) return;
    this.pending.delete(id);
    clearTimeout(waiting.timer);
    waiting.resolve(answer);
    this.flush();
  }

  private lost(): void {
    const wasUp = this.state !== 'down';
    this.state = 'down';
    this.hello = null;
    this.queue = [];
    const error = new Error('relay connection lost');
    for (const waiting of this.pending.values()) {
      clearTimeout(waiting.timer);
      waiting.reject(error);
    }
    this.pending.clear();
    if (wasUp) this.events.down();
    else this.events.stillDown();
  }

  private receive(data: unknown): void {
    if (data instanceof ArrayBuffer) {
      const frame = decodeModuleFrame(data);
      if (!frame) return; // malformed: the request it answered times out into HTTP
      const result = this.events.module(frame.header, frame.body);
      this.settle(frame.header.id, { frame: result });
      return;
    }
    if (typeof data !== 'string') return;
    let message: RelayMessage;
    try {
      message = JSON.parse(data) as RelayMessage;
    } catch {
      return;
    }
    switch (message.type) {
      case 'hello':
        if (message.protocol !== PROTOCOL_VERSION) {
          // An incompatible relay: stay on HTTP rather than misread its frames.
          this.socket.close();
          this.lost();
          return;
        }
        this.hello = message;
        this.state = 'ready';
        this.events.ready(message);
        return;
      case 'module:error':
      case 'module:status':
      case 'manifest:status':
        this.settle(message.id, message);
        return;
      case 'module:updated':
        this.events.updated(message);
        return;
      case 'module:removed':
        this.events.removed(message);
        return;
      case 'module:response': // always binary; a text one is malformed
        return;
      default: {
        const unknown: never = message;
        return unknown;
      }
    }
  }
}
