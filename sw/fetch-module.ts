import { after } from './deferred.js';
import { moduleResponse, type Verified } from './module-cache.js';
import type { ModuleRelay } from './module-relay.js';
import { fromNetwork } from './fetch-network.js';
import { cacheKey, relayPath } from './route.js';

/** A response now, and the cache writes it started (for `event.waitUntil`). */
export interface Handled {
  response: Promise<Response>;
  done: Promise<unknown>;
}

/** Relay codes that mean "this URL is not a module the relay serves": go network-first. */
const NOT_OURS = new Set(['not-found', 'forbidden', 'unsupported-type', 'too-large']);

/** How long a relay answer that came too late may still be awaited to warm the cache. */
const LATE_ANSWER_MS = 30_000;

/**
 * The order for a module URL:
 * 1. cached and validated over the current link → memory / Cache Storage (`cache`);
 * 2. a pushed copy already on its way, or a `module:request` with `deps: true`, raced
 *    against the budget (`relay`);
 * 3. plain `fetch` (`network`), hashed and cached so the next offline load has it;
 * 4. the network failed too: the last cached copy, unvalidated — better than an error.
 * Nothing here can make a load fail that HTTP alone would have served.
 */
export function fetchModule(engine: ModuleRelay, request: Request): Handled {
  const background: Promise<unknown>[] = [];
  const response = answer(engine, request, background).catch((error) => {
    console.warn('modrelay: falling back to HTTP', request.url, error);
    return fetch(request);
  });
  // `background` is filled synchronously or before `response` settles.
  const settle = () => Promise.allSettled(background);
  return { response, done: response.then(settle, settle) };
}

async function answer(engine: ModuleRelay, request: Request, background: Promise<unknown>[]): Promise<Response> {
  const url = cacheKey(request.url);
  const path = relayPath(url);
  const { cache, options } = engine;
  const deadline = Date.now() + options.budget;
  const known = cache.get(url);

  if (path === null || engine.shellUrls.has(url)) return fromNetwork(engine, request, url, null, background);

  if (known && (engine.validated || (await engine.waitValidated(deadline))) && cache.get(url)?.kind === 'module') {
    // (Validation may have evicted it, or found the relay does not vouch for it.)
    const hit = cache.peek(url) ?? (await cache.read(url));
    if (hit) return moduleResponse({ ...hit.meta, bytes: hit.bytes }, engine.takeUnserved(url, path) ? 'relay' : 'cache');
  }

  const relayed = await fromRelay(engine, url, path, deadline, background);
  if (relayed) return moduleResponse(relayed, 'relay');

  return fromNetwork(engine, request, url, path, background);
}

async function fromRelay(
  engine: ModuleRelay, url: string, path: string, deadline: number, background: Promise<unknown>[],
): Promise<Verified | null> {
  const { cache, socket, options } = engine;
  const onItsWay = engine.expectedAt(url, path);
  if (onItsWay) {
    const pushed = await engine.waitPush(onItsWay, deadline);
    // Still on its way: asking again on the same ordered socket cannot be faster, so HTTP.
    // (null: dropped by an edit or the link, or failed its hash: ask anew.)
    if (pushed === 'late') return null;
    if (pushed && engine.current(pushed)) {
      engine.takeUnserved(url, path);
      return pushed;
    }
  }
  if (!(await engine.waitConnected(deadline))) return null;
  if (socket.lagging(options.budget)) return null; // a slow relay: don't queue behind it

  // One import-graph burst at a time: overlapping bursts would push the same modules twice
  // (`have` cannot list what is still on its way). Others ask for their module alone.
  const deps = engine.depsInFlight === 0;
  if (deps) engine.depsInFlight++;
  const asked = socket.request({ type: 'module:request', path, deps, have: deps ? engine.have() : undefined }).then(
    async (reply) => {
      if ('frame' in reply) return reply.frame;
      if (reply.type === 'module:error' && NOT_OURS.has(reply.code)) engine.shellUrls.add(url);
      return null;
    },
    () => null,
  );
  if (deps) void asked.finally(() => engine.depsInFlight--);
  // Cache the answer even if it comes after the budget: the next load finds it.
  background.push(
    Promise.race([asked, after(LATE_ANSWER_MS, null)]).then((v) => v && cache.put(url, v, 'relay', 'module')),
  );
  const verified = await Promise.race([asked, after(deadline - Date.now(), null)]);
  return verified && engine.current(verified) ? verified : null;
}
