import WebSocket from 'ws';
import { decodeModuleFrame } from '../../protocol/frame-codec.js';
import type { ModuleResponse, RelayMessage } from '../../protocol/wire.js';

/** One inbound message: JSON control frames as `json`, module frames decoded. */
export type Received =
  | { kind: 'json'; message: RelayMessage }
  | { kind: 'module'; header: ModuleResponse; body: Buffer }
  | { kind: 'bad-binary'; data: Buffer };

/**
 * A real `ws` client that records every frame and lets a test wait for the next one that
 * matches, bounded in time (a missing answer fails the test instead of hanging it).
 */
export class TestClient {
  /** Frames received and not consumed by `next` yet. */
  readonly received: Received[] = [];
  private waiters: (() => void)[] = [];
  closeCode: number | undefined;
  private readonly closed: Promise<number>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) {
        this.received.push({ kind: 'json', message: JSON.parse(data.toString()) as RelayMessage });
      } else {
        const frame = decodeModuleFrame(new Uint8Array(data));
        this.received.push(frame ? { kind: 'module', header: frame.header, body: Buffer.from(frame.body) } : { kind: 'bad-binary', data });
      }
      this.wake();
    });
    this.closed = new Promise((resolve) =>
      socket.on('close', (code) => {
        this.closeCode = code;
        this.wake();
        resolve(code);
      }),
    );
  }

  static open(url: string, origin?: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    const socket = new WebSocket(url, { ...(origin ? { origin } : {}), ...options });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new TestClient(socket)));
      socket.once('unexpected-response', (_request, response) => {
        reject(new Error(`upgrade refused with HTTP ${response.statusCode}`));
      });
      socket.once('error', reject);
    });
  }

  /** Resolves with the HTTP status of a refused upgrade, or rejects if the socket opened. */
  static refusal(url: string, origin: string): Promise<number> {
    const socket = new WebSocket(url, { origin });
    return new Promise((resolve, reject) => {
      socket.once('unexpected-response', (_request, response) => {
        resolve(response.statusCode ?? 0);
        socket.terminate();
      });
      socket.once('open', () => {
        socket.close();
        reject(new Error('upgrade was accepted'));
      });
      socket.once('error', () => {});
    });
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message));
  }

  /** The next not-yet-consumed message matching `match`; earlier non-matching ones stay for later calls. */
  async next(match: (received: Received) => boolean = () => true, timeoutMs = 5000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = 0; i < this.received.length; i++) {
        const item = this.received[i]!;
        if (match(item)) {
          this.received.splice(i, 1);
          return item;
        }
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.closeCode !== undefined) {
        throw new Error(`no matching message within ${timeoutMs} ms (close code ${this.closeCode}); have ${JSON.stringify(this.summary())}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the hello, which every connection starts with. */
  async hello() {
    const item = await this.next();
    if (item.kind !== 'json' || item.message.type !== 'hello') throw new Error(`first frame was not hello: ${JSON.stringify(item)}`);
    return item.message;
  }

  /** Sends a module:request and returns its answer: a module frame or a module:error. */
  async request(path: unknown, extra: Record<string, unknown> = {}, id = nextId()): Promise<Received> {
    this.send({ type: 'module:request', id, path, ...extra });
    return this.answer(id);
  }

  /** The module frame or JSON message answering request `id`. */
  answer(id: number): Promise<Received> {
    return this.next((item) => (item.kind === 'module' ? item.header.id === id : item.kind === 'json' && 'id' in item.message && item.message.id === id));
  }

  /** The next JSON message of `type`. */
  async nextOf<T extends RelayMessage['type']>(type: T, timeoutMs?: number): Promise<Extract<RelayMessage, { type: T }>> {
    const item = await this.next((received) => received.kind === 'json' && received.message.type === type, timeoutMs);
    return (item as unknown as { message: Extract<RelayMessage, { type: T }> }).message;
  }

  /** Messages not consumed yet. */
  pending(): Received[] {
    return [...this.received];
  }

  whenClosed(): Promise<number> {
    return this.closed;
  }

  close(): void {
    this.socket.terminate();
  }

  private summary() {
    return this.pending().map((item) => (item.kind === 'module' ? { module: item.header } : item.kind === 'json' ? item.message : 'binary'));
  }

  private wake() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

let counter = 0;
export const nextId = () => ++counter;

/** Narrows an answer to a module frame, failing with what came instead. */
export function asModule(item: Received): { header: ModuleResponse; body: Buffer } {
  if (item.kind !== 'module') throw new Error(`expected a module frame, got ${JSON.stringify(item.kind === 'json' ? item.message : item.kind)}`);
  return item;
}

/** Narrows an answer to a module:error and returns its code. */
export function errorCode(item: Received): string {
  if (item.kind !== 'json' || item.message.type !== 'module:error') {
    throw new Error(`expected module:error, got ${JSON.stringify(item.kind === 'json' ? item.message : item.kind === 'module' ? item.header : 'binary')}`);
  }
  return item.message.code;
}
