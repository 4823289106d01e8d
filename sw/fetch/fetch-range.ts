import type { FilePath } from '../../protocol/wire.js';
import { handled, type Handled, type Lifetime } from '../kit/lifetime.js';
import type { FetchContext } from './context.js';
import { rangeResponse } from './response.js';

/**
 * A `Range` request (an `<audio>` or `<video>` loading or seeking): answered from the body
 * the worker holds, validated like any cached file, with a correct `206`. Without a copy it
 * goes to the network untouched (the server answers the range itself), while the whole file
 * is asked of the relay for the next load, so media play offline after one visit. Offline
 * with an unvalidated copy, that copy answers rather than an error.
 */
export function fetchRange(ctx: FetchContext, request: Request, url: string, path: FilePath | null, range: string): Handled {
  return handled((lifetime) => answer(ctx, request, url, path, range, lifetime));
}

async function answer(
  ctx: FetchContext, request: Request, url: string, path: FilePath | null, range: string, lifetime: Lifetime,
): Promise<Response> {
  const deadline = Date.now() + ctx.budget;
  await ctx.headers.loaded;
  const ours = path !== null && !ctx.refused.has(path);
  const hit = ours ? await ctx.relay.vouched(url, path, deadline, false) : undefined;
  if (hit) return rangeResponse({ ...hit.cached.meta, bytes: hit.cached.bytes }, range, 'cache', ctx.headers.for(hit.cached.meta.headers));
  if (ours && !ctx.cache.get(url)) lifetime.waitUntil(ctx.relay.ask(url, path, deadline, lifetime));
  try {
    return await fetch(request);
  } catch (error) {
    const stale = await ctx.cache.read(url);
    if (stale) return rangeResponse({ ...stale.meta, bytes: stale.bytes }, range, 'cache', ctx.headers.for(stale.meta.headers));
    throw error;
  }
}
