import type { WebSocket, RawData } from 'ws';
import { ERROR_MESSAGES } from '../protocol/errors.js';
import type {
  ErrorCode, Hello, ManifestCheck, ManifestStatus, ModuleCheck, ModuleError, ModulePath,
  ModuleRequest, ModuleStatus, RelayMessage, SwMessage,
} from '../protocol/wire.js';
import { importClosure } from './graph.js';
import type { Module, ModuleStore } from './module-store.js';
import { moduleFrame, pushFrame } from './frame-cache.js';
import { parseMessage } from './parse-message.js';
import { LIMITS } from './options.js';
import { Outbox } from './outbox.js';

/** Paths checked at once while answering a manifest. */
const MANIFEST_CONCURRENCY = 64;

export interface ConnectionContext {
  store: ModuleStore;
  hello: Hello;
  maxInFlight: number;
}

export interface Connection {
  /** Queues a broadcast (`module:updated` / `module:removed`, already serialized). */
  notify(frame: string): void;
}

/**
 * Serves one socket: says hello, then answers each frame. Every frame is validated; a bad
 * one gets `bad-request` and the connection keeps serving. At most `maxInFlight` requests
 * are worked on at once; a request counts until its last frame is written out, so a client
 * that does not read cannot make the relay buffer without bound. Frames leave through an
 * `Outbox`: paced on the socket's buffer, answers ahead of pushes.
 */
export function openConnection(socket: WebSocket, context: ConnectionContext): Connection {
  let inFlight = 0;
  /**
   * path → hash of every module frame sent on this socket. A push never repeats one: a page
   * load asks for many modules with `deps: true` before the first push has landed, and their
   * closures overlap almost entirely. An explicit request is always answered, so a receiver
   * that dropped a pushed module just asks for it.
   */
  const sent = new Map<ModulePath, string>();

  const outbox = new Outbox(socket);
  const send = (message: RelayMessage | Uint8Array): Promise<void> =>
    outbox.send(message instanceof Uint8Array ? message : JSON.stringify(message), 'answer');

  const sendError = (code: ErrorCode, message: string, id?: number, path?: string): Promise<void> => {
    const error: ModuleError = { type: 'module:error', code, message: message || ERROR_MESSAGES[code] };
    if (id !== undefined) error.id = id;
    // An over-long path is not echoed: the id identifies the request.
    if (path !== undefined && path.length <= LIMITS.maxPathLength) error.path = path;
    return send(error);
  };

  const answer = async (message: SwMessage): Promise<void> => {
    switch (message.type) {
      case 'module:request':
        return answerRequest(message);
      case 'module:check':
        return answerCheck(message);
      case 'manifest:check':
        return answerManifest(message);
      default: {
        const check: never = message;
        throw new Error(`unhandled message ${JSON.stringify(check)}`);
      }
    }
  };

  /**
   * Pushed modules' frames, taken from the shared cache when their turn comes. A module
   * whose file changed meanwhile (the store holds another hash) is not sent: the client hears
   * of the change through `module:updated`, and asks for the new version when it needs it.
   */
  function* pushFrames(modules: Module[]): Generator<Uint8Array | null> {
    for (const module of modules) {
      const current = context.store.peekHash(module.path);
      if (current !== undefined && current !== module.hash) {
        if (sent.get(module.path) === module.hash) sent.delete(module.path);
        yield null;
      } else {
        yield pushFrame(module);
      }
    }
  }

  const answerRequest = async (request: ModuleRequest): Promise<void> => {
    const outcome = await context.store.handOut(request.path);
    if (!outcome.ok) return sendError(outcome.code, outcome.message, request.id, request.path);
    const { module } = outcome;
    sent.set(module.path, module.hash);
    if (!request.deps) return send(moduleFrame(module, { id: request.id }));
    const have = request.have ?? {};
    const closure = await importClosure(context.store, module);
    const pushed = closure.filter(
      (dep) => sent.get(dep.path) !== dep.hash && !(Object.hasOwn(have, dep.path) && have[dep.path] === dep.hash),
    );
    for (const dep of pushed) sent.set(dep.path, dep.hash);
    // The answer (with its push list) goes first; the pushed frames follow it on the wire.
    await Promise.all([
      send(moduleFrame(module, { id: request.id, push: pushed.map((dep) => dep.path) })),
      outbox.send(pushFrames(pushed), 'push'),
    ]);
  };

  const answerCheck = async (check: ModuleCheck): Promise<void> => {
    const outcome = await context.store.handOut(check.path);
    const status: ModuleStatus = { type: 'module:status', id: check.id, path: check.path, status: 'gone' };
    if (outcome.ok) {
      status.status = outcome.module.hash === check.hash ? 'current' : 'changed';
      if (status.status === 'changed') status.hash = outcome.module.hash;
    }
    return send(status);
  };

  const answerManifest = async (check: ManifestCheck): Promise<void> => {
    const reply: ManifestStatus = { type: 'manifest:status', id: check.id, changed: {}, removed: [] };
    const paths = Object.keys(check.entries);
    for (let i = 0; i < paths.length; i += MANIFEST_CONCURRENCY) {
      const slice = paths.slice(i, i + MANIFEST_CONCURRENCY);
      const outcomes = await Promise.all(slice.map((path) => context.store.handOut(path)));
      outcomes.forEach((outcome, j) => {
        const path = slice[j] as ModulePath;
        // A path that can no longer be served, for whatever reason, is gone for the cache.
        if (!outcome.ok) reply.removed.push(path);
        else if (outcome.module.hash !== check.entries[path]) reply.changed[path] = outcome.module.hash;
      });
    }
    return send(reply);
  };

  const onMessage = (data: RawData, isBinary: boolean): void => {
    if (isBinary) {
      void sendError('bad-request', 'binary frames are not accepted; send JSON text frames');
      return;
    }
    const parsed = parseMessage(data.toString());
    if (!parsed.ok) {
      void sendError('bad-request', parsed.message, parsed.id, parsed.path);
      return;
    }
    const { message } = parsed;
    if (inFlight >= context.maxInFlight) {
      const path = 'path' in message ? message.path : undefined;
      void sendError('too-many-requests', `more than ${context.maxInFlight} requests in flight on this connection`, message.id, path);
      return;
    }
    inFlight += 1;
    answer(message)
      .catch((error: unknown) => {
        // Handlers do not throw by design; this keeps a bug from taking the relay down.
        console.error('modrelay: request failed:', error);
        return sendError('internal', ERROR_MESSAGES.internal, message.id);
      })
      .finally(() => {
        inFlight -= 1;
      });
  };

  socket.on('message', onMessage);
  // Without a listener an 'error' (e.g. an oversized frame) would be thrown; ws closes the socket itself.
  socket.on('error', () => {});
  void send(context.hello);
  return {
    // In the answer lane: after any answer already waiting (so an answer read before a change
    // never arrives after the news of it), ahead of pushes still waiting.
    notify: (frame) => void outbox.send(frame, 'answer'),
  };
}
