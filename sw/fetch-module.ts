import { OWN_PATH_PREFIX } from '../protocol/defaults.js';
import type { Cached } from './cache-storage-store.js';
import type { Engine } from './engine.js';
import { fromNetwork } from './fetch-network.js';
import { bodyResponse } from './response.js';
import { cacheKey, relayPath } from './route.js';

/** A response now, and the cache writes it started (for `event.waitUntil`). */
export interface Handled {
  response: Promise<Response>;
  done: Promise<unknown>;
}

/**
 * The order for a module URL:
 * 1. cached and validated over the current link → memory / Cache Storage (`cache`);
 * 2. a pushed copy already on its way, or a `module:request` with `deps: true`, raced
 *    against the budget (`relay`, relay-answers.ts);
 * 3. plain `fetch` (`network`, fetch-network.ts), hashed and cached so the next offline load has it;
 * 4. the network failed too: the last cached copy, unvalidated — better than an error.
 * Nothing here can make a load fail that HTTP alone would have served.
 */
export function fetchModule(engine: Engine, request: Request): Handled {
  const background: Promise<unknown>[] = [];
  const response = answer(engine, request, background).catch((error) => {
    console.warn('modrelay: falling back to HTTP', request.url, error);
    return fetch(request);
  });
  // `background` is filled synchronously or before `response` settles.
  const settle = () => Promise.allSettled(background);
  return { response, done: response.then(settle, settle) };
}

/**
 * The cached copy of `url` once the cache is validated over the current link (waiting for
 * that within the deadline), if the relay vouches for it. Undefined: no usable copy.
 */
export async function validatedHit(engine: Engine, url: string, deadline: number): Promise<Cached | undefined> {
  const { cache, link } = engine;
  if (!cache.get(url) || !(link.validated || (await link.waitValidated(deadline)))) return undefined;
  // (Validation may have evicted it, or found the relay does not vouch for it.)
  if (cache.get(url)?.kind !== 'module') return undefined;
  return cache.peek(url) ?? (await cache.read(url));
}

async function answer(engine: Engine, request: Request, background: Promise<unknown>[]): Promise<Response> {
  const url = cacheKey(request.url);
  const path = relayPath(url);
  const deadline = Date.now() + engine.options.budget;

  // modrelay's own files: revalidated, so an immutable copy the routed version made of the
  // client (client-copy.ts) is replaced by the server's plain answer, never read as is.
  if (path?.startsWith(OWN_PATH_PREFIX)) return fromNetwork(engine, new Request(request, { cache: 'no-cache' }), url, null, background);
  if (path === null || engine.refused.has(path)) return fromNetwork(engine, request, url, null, background);

  const hit = await validatedHit(engine, url, deadline);
  if (hit) return bodyResponse({ ...hit.meta, bytes: hit.bytes }, engine.pushes.takeUnserved(url, path) ? 'relay' : 'cache');

  const relayed = await engine.relay.ask(url, path, deadline, background);
  if (relayed) return bodyResponse(relayed, 'relay');

  return fromNetwork(engine, request, url, path, background);
}
