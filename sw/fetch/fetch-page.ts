import type { FilePath } from '../../protocol/wire.js';
import { sha256Hex } from '../kit/hash.js';
import { handled, type Handled } from '../kit/lifetime.js';
import type { FetchContext } from './context.js';
import { fetchOrCached } from './fetch-network.js';
import { kept } from './headers.js';

/**
 * Navigations in scope: network-first, untouched, with a copy cached so that after one
 * visit the page itself loads with the servers gone and the browser offline.
 */
export function fetchPage(ctx: FetchContext, request: Request, url: string, path: FilePath | null): Handled {
  ctx.relay.newLoad();
  return handled(async (lifetime) => {
    await ctx.headers.loaded;
    const network = await fetchOrCached(ctx, request, url, true);
    if (network.status === 200 && network.type === 'basic' && !network.redirected) {
      ctx.headers.learn(network);
      lifetime.waitUntil(cachePage(ctx, url, path, network.clone()));
    }
    return network;
  });
}

/**
 * Caches a page (or any other network-first file) fetched over HTTP. Every reload fetches
 * the page again; unchanged bytes are not written to Cache Storage and IndexedDB again.
 */
export async function cachePage(ctx: FetchContext, url: string, decoded: FilePath | null, response: Response): Promise<boolean> {
  // A folder URL's page is the relay's `…/index.html`: an edit of it then reaches this copy.
  const path = decoded === null ? url : decoded.endsWith('/') ? `${decoded}index.html` : decoded;
  const epoch = ctx.epochs.of(path);
  const bytes = await response.arrayBuffer();
  const hash = await sha256Hex(bytes);
  if (ctx.cache.get(url)?.hash === hash) return true;
  const contentType = response.headers.get('content-type') ?? 'text/html';
  return ctx.cache.put(url, { path, hash, bytes, epoch, contentType, headers: kept(response) }, 'network', 'shell', true);
}
