import { OWN_PATH_PREFIX } from '../../protocol/defaults.js';
import type { FilePath } from '../../protocol/wire.js';
import { handled, type Handled, type Lifetime } from '../kit/lifetime.js';
import type { FetchContext } from './context.js';
import { fromNetwork } from './fetch-network.js';
import { bodyResponse } from './response.js';

/**
 * The order for a served file's URL (`url` without its fragment, `path` its relay path):
 * 1. cached and vouched for by the relay over the current link → memory / Cache Storage (`cache`);
 * 2. a pushed copy already on its way, or a `module:request` with `deps: true`, raced
 *    against the budget (`relay`): both sw/relay/relay-answers.ts;
 * 3. plain `fetch` (`network`, fetch-network.ts), hashed and cached so the next offline load has it
 *    (revalidated with the server while no relay vouches for what the HTTP cache holds);
 * 4. the network failed too: the last cached copy, unvalidated — better than an error.
 * Nothing here can make a load fail that HTTP alone would have served.
 */
export function fetchFile(ctx: FetchContext, request: Request, url: string, path: FilePath | null): Handled {
  return handled((lifetime) => answer(ctx, request, url, path, lifetime).catch((error) => {
    console.warn('modrelay: falling back to HTTP', request.url, error);
    return fetch(request);
  }));
}

async function answer(ctx: FetchContext, request: Request, url: string, path: FilePath | null, lifetime: Lifetime): Promise<Response> {
  const deadline = Date.now() + ctx.budget;
  await ctx.headers.loaded;
  // modrelay's own files: revalidated, so an immutable copy the routed version made of the
  // client (sw/http-cache/client-copy.ts) is replaced by the server's plain answer, never read as is.
  if (path?.startsWith(OWN_PATH_PREFIX)) return fromNetwork(ctx, new Request(request, { cache: 'no-cache' }), url, null, lifetime);
  if (path === null || ctx.refused.has(path)) return fromNetwork(ctx, request, url, null, lifetime);

  const hit = await ctx.relay.vouched(url, path, deadline);
  if (hit) return bodyResponse({ ...hit.cached.meta, bytes: hit.cached.bytes }, hit.source, ctx.headers.for(hit.cached.meta.headers));

  const relayed = await ctx.relay.ask(url, path, deadline, lifetime);
  if (relayed) return bodyResponse(relayed, 'relay', ctx.headers.for());

  // Without a validated link nobody vouches for the default store's immutable copies in the
  // HTTP cache: the server says whether this one is current (a 304 when it is), as HTTP would.
  return fromNetwork(ctx, ctx.link.validated ? request : new Request(request, { cache: 'no-cache' }), url, path, lifetime);
}
