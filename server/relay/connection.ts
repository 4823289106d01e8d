import type { WebSocket, RawData } from 'ws';
import { ERROR_MESSAGES } from '../../protocol/errors.js';
import type { ErrorCode, Hello, ManifestCheck, ManifestStatus, ModuleCheck, ModuleError, FilePath, ModuleRequest, ModuleStatus, RelayMessage, SwMessage } from '../../protocol/wire.js';
import type { StoreStatus } from '../../protocol/page-messages.js';
import { importClosure } from '../files/graph.js';
import type { ServedFile, Source } from '../files/source.js';
import { moduleFrame, pushFrame } from './frame-cache.js';
import { parseMessage } from './parse-message.js';
import { LIMITS } from '../config/options.js';
import { Outbox, type Fragmented } from './outbox.js';
import { ReadPause } from './read-pause.js';
import type { Queue } from '../../lib/queue.js';

/** Paths checked at once while answering a manifest: one slice through the relay-wide queue (lib/queue.ts), so a connection that sends dozens of
 * 20,000-entry manifests waits its turn and a plain request from another connection finds at
 * most a slice's worth of file checks ahead of it in libuv's pool. */
const MANIFEST_SLICE = 64;
/** Manifests one connection may have in progress before its socket stops being read. */
const MANIFESTS_READING = 2;

export interface ConnectionContext {
  /** Where bodies come from (files/source.ts). */
  source: Source;
  hello: Hello;
  maxInFlight: number;
  /** The relay-wide queue manifest checks take turns in. */
  slices: Queue;
  /** See RelayOptions.stallTimeoutMs. */
  stallTimeoutMs: number;
}

export interface Connection {
  /** Queues a broadcast (`module:updated` / `module:removed`, already serialized). */
  notify(frame: string): void;
  /** What the worker on this socket last said of its store (`worker:status`), or null. */
  readonly store: StoreStatus | null;
}

/**
 * Serves one socket: says hello, then answers each frame. Every frame is validated; a bad
 * one gets `bad-request` and the connection keeps serving. At most `maxInFlight` requests
 * are worked on at once; a request counts until its last frame is written out, so a client
 * that does not read cannot make the relay buffer without bound. Frames leave through an
 * `Outbox`: paced on the socket's buffer, answers ahead of pushes.
 */
export function openConnection(socket: WebSocket, context: ConnectionContext, onStore: (store: StoreStatus) => void): Connection {
  return new SocketConnection(socket, context, onStore);
}

class SocketConnection implements Connection {
  private inFlight = 0;
  private manifests = 0;
  private readonly reading: ReadPause;
  /**
   * path → hash of every module frame sent on this socket. A push never repeats one: a page
   * load asks for many modules with `deps: true` before the first push has landed, and their
   * closures overlap almost entirely. An explicit request is always answered, so a receiver
   * that dropped a pushed module just asks for it.
   */
  private readonly sent = new Map<FilePath, string>();
  private readonly outbox: Outbox;

  store: StoreStatus | null = null;

  constructor(socket: WebSocket, private readonly context: ConnectionContext, private readonly onStore: (store: StoreStatus) => void) {
    this.reading = new ReadPause(socket);
    this.outbox = new Outbox(socket, this.reading, context.stallTimeoutMs);
    socket.on('message', (data: RawData, isBinary: boolean) => this.onMessage(data, isBinary));
    // Without a listener an 'error' (e.g. an oversized frame) would be thrown; ws closes the socket itself.
    socket.on('error', () => {});
    void this.send(context.hello);
  }

  /**
   * In the answer lane: after any answer already waiting (so an answer read before a change
   * never arrives after the news of it), ahead of pushes still waiting.
   */
  notify(frame: string): void {
    void this.outbox.send(frame, 'answer');
  }

  private send(message: RelayMessage | Fragmented): Promise<void> {
    return this.outbox.send('shared' in message ? message : JSON.stringify(message), 'answer');
  }

  private sendError(code: ErrorCode, message: string, id?: number, path?: string): Promise<void> {
    const error: ModuleError = { type: 'module:error', code, message: message || ERROR_MESSAGES[code] };
    if (id !== undefined) error.id = id;
    // An over-long path is not echoed: the id identifies the request.
    if (path !== undefined && path.length <= LIMITS.maxPathLength) error.path = path;
    return this.send(error);
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (isBinary) {
      void this.sendError('bad-request', 'binary frames are not accepted; send JSON text frames');
      return;
    }
    const parsed = parseMessage(data.toString());
    if (!parsed.ok) {
      void this.sendError('bad-request', parsed.message, parsed.id, parsed.path);
      return;
    }
    const { message } = parsed;
    if (message.type === 'worker:status') return this.told(message.store); // a notice: nothing to answer, nothing in flight
    if (this.inFlight >= this.context.maxInFlight) {
      const path = 'path' in message ? message.path : undefined;
      void this.sendError('too-many-requests', `more than ${this.context.maxInFlight} requests in flight on this connection`, message.id, path);
      return;
    }
    this.inFlight += 1;
    this.answer(message)
      .catch((error: unknown) => {
        // Handlers do not throw by design; this keeps a bug from taking the relay down.
        console.error('modrelay: request failed:', error);
        return this.sendError('internal', ERROR_MESSAGES.internal, message.id);
      })
      .finally(() => {
        this.inFlight -= 1;
      });
  }

  private told(store: StoreStatus): void {
    this.store = store;
    this.onStore(store);
  }

  private answer(message: Exclude<SwMessage, { type: 'worker:status' }>): Promise<void> {
    switch (message.type) {
      case 'module:request':
        return this.answerRequest(message);
      case 'module:check':
        return this.answerCheck(message);
      case 'manifest:check':
        return this.answerManifest(message);
      default: {
        const check: never = message;
        throw new Error(`unhandled message ${JSON.stringify(check)}`);
      }
    }
  }

  private async answerRequest(request: ModuleRequest): Promise<void> {
    const outcome = await this.context.source.loadForClient(request.path);
    if (!outcome.ok) return this.sendError(outcome.code, outcome.message, request.id, request.path);
    const { file } = outcome;
    this.sent.set(file.path, file.hash);
    if (!request.deps) return this.send(moduleFrame(file, { id: request.id }));
    const have = request.have ?? {};
    const closure = await importClosure(this.context.source, file);
    const pushed = closure.filter(
      (dep) => this.sent.get(dep.path) !== dep.hash && !(Object.hasOwn(have, dep.path) && have[dep.path] === dep.hash),
    );
    for (const dep of pushed) this.sent.set(dep.path, dep.hash);
    // The answer (with its push list) goes first; the pushed frames follow it on the wire.
    await Promise.all([
      this.send(moduleFrame(file, { id: request.id, push: pushed.map((dep) => dep.path) })),
      this.outbox.send(this.pushFrames(pushed), 'push'),
    ]);
  }

  /**
   * Pushed modules' frames, taken from the shared cache when their turn comes. A module
   * whose file changed meanwhile (the store holds another hash) is not sent: the client hears
   * of the change through `module:updated`, and asks for the new version when it needs it.
   */
  private *pushFrames(files: ServedFile[]): Generator<Fragmented | null> {
    for (const file of files) {
      const current = this.context.source.peekHash(file.path);
      if (current !== undefined && current !== file.hash) {
        if (this.sent.get(file.path) === file.hash) this.sent.delete(file.path);
        yield null;
      } else {
        yield pushFrame(file);
      }
    }
  }

  private async answerCheck(check: ModuleCheck): Promise<void> {
    const outcome = await this.context.source.loadForClient(check.path);
    const status: ModuleStatus = { type: 'module:status', id: check.id, path: check.path, status: 'gone' };
    if (outcome.ok) {
      status.status = outcome.file.hash === check.hash ? 'current' : 'changed';
      if (status.status === 'changed') status.hash = outcome.file.hash;
    }
    return this.send(status);
  }

  private async answerManifest(check: ManifestCheck): Promise<void> {
    this.manifests++;
    this.reading.set('manifests', this.manifests >= MANIFESTS_READING);
    try {
      await this.send(await this.checkManifest(check));
    } finally {
      this.manifests--;
      this.reading.set('manifests', this.manifests >= MANIFESTS_READING);
    }
  }

  private async checkManifest(check: ManifestCheck): Promise<ManifestStatus> {
    const reply: ManifestStatus = { type: 'manifest:status', id: check.id, changed: {}, removed: [] };
    const paths = Object.keys(check.entries);
    for (let i = 0; i < paths.length; i += MANIFEST_SLICE) {
      const slice = paths.slice(i, i + MANIFEST_SLICE);
      const outcomes = await this.context.slices.run(() => Promise.all(slice.map((path) => this.context.source.loadForClient(path))));
      outcomes.forEach((outcome, j) => {
        const path = slice[j] as FilePath;
        // A path that can no longer be served, for whatever reason, is gone for the cache.
        if (!outcome.ok) reply.removed.push(path);
        else if (outcome.file.hash !== check.entries[path]) reply.changed[path] = outcome.file.hash;
      });
    }
    return reply;
  }
}
