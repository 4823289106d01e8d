import { JS_CONTENT_TYPE } from '../../protocol/defaults.js';
import type { FilePath } from '../../protocol/wire.js';
import { sha256Hex } from '../kit/hash.js';
import type { Lifetime } from '../kit/lifetime.js';
import type { FetchContext } from './context.js';
import { kept } from './headers.js';
import { bodyResponse, type Source } from './response.js';

/** The worker's own fetches leave Resource Timing entries; past this many they are cleared. */
const MAX_TIMINGS = 200;

/**
 * Plain HTTP, as if no worker were there, plus a copy for offline use. The body is read
 * whole and hashed here (a truncated body makes `arrayBuffer()` reject, so it is never
 * cached); anything but a plain 200 passes through untouched and uncached. The copy is a
 * network-first `shell` entry until the relay confirms its hash (validation.ts): the relay
 * only broadcasts changes to files it serves, so it must vouch before cache-first use.
 */
export async function fromNetwork(
  ctx: FetchContext, request: Request, url: string, path: FilePath | null, lifetime: Lifetime,
): Promise<Response> {
  const key = path ?? url;
  const epoch = ctx.epochs.of(key);
  const response = await fetchOrCached(ctx, request, url);
  // (A cached copy is a constructed Response, type 'default': it passes through too.)
  if (response.status !== 200 || response.redirected || response.type !== 'basic') return response;
  const bytes = await response.arrayBuffer();
  const v = {
    path: key, hash: await sha256Hex(bytes), bytes, epoch,
    contentType: response.headers.get('content-type') ?? JS_CONTENT_TYPE, headers: kept(response),
  };
  // The same bytes are cached already (perhaps pushed by the relay meanwhile): keep that entry.
  if (ctx.cache.get(url)?.hash !== v.hash) {
    lifetime.waitUntil(ctx.cache.put(url, v, 'network', 'shell').then((stored) => {
      if (stored && path !== null && ctx.serves(path)) ctx.confirm(path, v.hash);
    }));
  }
  return bodyResponse(v, sourceOf(response.url || url), ctx.headers.for(v.headers));
}

/**
 * Whether the worker's fetch of `url` was answered by the browser's HTTP cache (no byte over the
 * wire, no revalidation): an immutable copy of the default store, typically while the servers
 * are gone. Its Resource Timing entry says so once the body has been read.
 */
function sourceOf(url: string): Source {
  const entry = performance.getEntriesByName(url, 'resource').at(-1) as PerformanceResourceTiming | undefined;
  if (performance.getEntriesByType('resource').length > MAX_TIMINGS) performance.clearResourceTimings();
  return entry !== undefined && entry.transferSize === 0 && entry.decodedBodySize > 0 ? 'http-cache' : 'network';
}

/**
 * `fetch`, or when the network fails (offline, server gone) the last cached copy of `url`,
 * validated or not: what an offline load gets (a `page` only once its files are whole too).
 * With no copy the network's error stands.
 */
export async function fetchOrCached(ctx: FetchContext, request: Request, url: string, page = false): Promise<Response> {
  try {
    return await fetch(request);
  } catch (error) {
    // A page whose files are not all there stays unopened: the network's own error, not half an app.
    const hit = page ? await ctx.offlinePage(url) : await ctx.cache.read(url);
    if (hit) return bodyResponse({ ...hit.meta, bytes: hit.bytes }, 'cache', ctx.headers.for(hit.meta.headers));
    // A revalidation that could not reach the server, and no copy of the worker's own (Cache
    // Storage cleared): the default store's immutable copy in the HTTP cache, if it holds one.
    if (!page && request.cache === 'no-cache') {
      const held = await fetch(url, { cache: 'only-if-cached', mode: 'same-origin', credentials: 'same-origin' }).catch(() => null);
      if (held?.ok) return held;
    }
    throw error;
  }
}
