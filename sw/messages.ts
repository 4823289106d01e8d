import type { HttpCacheState, PageToSwMessage, SwToPageMessage } from '../protocol/wire.js';
import { copyClient } from './client-copy.js';
import { after } from './deferred.js';
import type { Engine } from './engine.js';
import { loadsDone } from './loads.js';
import { warm } from './warm.js';

declare const self: ServiceWorkerGlobalScope;

/** Messages from pages (see PageToSwEvents in protocol/wire.ts). Others are ignored. */
export function onPageMessage(engine: Engine, event: ExtendableMessageEvent): void {
  const message = event.data as PageToSwMessage | null;
  if (!message || typeof message !== 'object' || message.source !== 'modrelay') return;
  switch (message.type) {
    case 'heartbeat':
      // Receiving it already reset the idle timer; also retry a dropped link now.
      engine.socket.kick();
      return;
    case 'status':
      engine.postStatus();
      return;
    case 'warm':
      if (Array.isArray(message.urls)) event.waitUntil(warm(engine, message.urls));
      return;
    case 'store:prepare': {
      const port = event.ports[0];
      if (port && Number.isFinite(message.since)) event.waitUntil(prepare(engine, message.since, port));
      return;
    }
    case 'store:seen':
      if (engine.httpStore && Array.isArray(message.urls)) {
        const strings = (list: unknown) => (Array.isArray(list) ? list.filter((url): url is string => typeof url === 'string') : []);
        const store = engine.httpStore;
        const reply = (state: SwToPageMessage) => (event.source as Client | null)?.postMessage(state);
        // The routed version revalidates the client's copy too; the page takes it once told the state.
        const client = engine.options.routed ? copyClient(self.location.origin) : undefined;
        // Copies compete with a load still going through this worker (a first visit reports early): let it finish first.
        event.waitUntil(loadsDone(engine).then(() => store.adopt(strings(message.urls), new Set(strings(message.fromCache))))
          .then(() => client)
          .then(() => settledState(engine))
          .then((state) => reply({ source: 'modrelay', type: 'store:state', state })));
      }
      return;
    default: {
      const unknown: never = message;
      return unknown;
    }
  }
}

const STATE_POLL_MS = 500;
const STATE_POLLS = 40; // 20 s

/** The store's state once no copy is in flight; a `pending` one (copies retried) is watched, bounded. */
async function settledState(engine: Engine): Promise<HttpCacheState> {
  let state: HttpCacheState = 'pending';
  for (let i = 0; i < STATE_POLLS; i++) {
    await engine.httpStore?.settled();
    state = engine.httpStore?.state() ?? 'unsupported';
    if (state !== 'pending' || engine.httpStore?.owes()) return state;
    await after(STATE_POLL_MS, undefined);
  }
  return state;
}

const VALIDATION_POLL_MS = 20;
const VALIDATION_POLLS = 500; // 10 s

/**
 * Answers `store:prepare` once the page may import: the relay vouched for every copy within
 * the budget, or (relay down or slow) every copy was revalidated over HTTP; and no copy is
 * being replaced. Without the HTTP-cache store there is nothing to prepare.
 */
async function prepare(engine: Engine, since: number, port: MessagePort): Promise<void> {
  const store = engine.httpStore;
  let validated = engine.link.validated;
  if (store) {
    validated ||= await engine.link.waitValidated(Date.now() + engine.options.budget);
    // Connected and still checking (many changed files to copy): the relay's answer is
    // cheaper than revalidating every copy over HTTP, so wait for it, bounded.
    for (let i = 0; !validated && engine.socket.state === 'ready' && i < VALIDATION_POLLS; i++) {
      await after(VALIDATION_POLL_MS, undefined);
      validated = engine.link.validated;
    }
    if (!validated) await store.revalidate();
    await store.settled();
  }
  const reply: SwToPageMessage = {
    source: 'modrelay', type: 'store:ready', validated, changed: store?.changedSince(since) ?? [], at: Date.now(),
  };
  port.postMessage(reply);
}
