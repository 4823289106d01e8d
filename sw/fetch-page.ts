import type { Handled } from './fetch-module.js';
import { fetchOrCached } from './fetch-network.js';
import { sha256Hex } from './hash.js';
import type { Engine } from './engine.js';
import { cacheKey, relayPath } from './route.js';

/**
 * Navigations in scope: network-first, untouched, with a copy cached so that after one
 * visit the page itself loads with the servers gone and the browser offline.
 */
export function fetchPage(engine: Engine, request: Request): Handled {
  const url = cacheKey(request.url);
  engine.pushes.newLoad();
  const background: Promise<unknown>[] = [];
  const response = (async () => {
    const network = await fetchOrCached(engine, request, url);
    if (network.status === 200 && network.type === 'basic' && !network.redirected) {
      background.push(keep(engine, url, network.clone()));
    }
    return network;
  })();
  const settle = () => Promise.allSettled(background);
  return { response, done: response.then(settle, settle) };
}

/**
 * Caches a page (or any other network-first file) fetched over HTTP. Every reload fetches
 * the page again; unchanged bytes are not written to Cache Storage and IndexedDB again.
 */
export async function keep(engine: Engine, url: string, response: Response): Promise<boolean> {
  // A folder URL's page is the relay's `…/index.html`: an edit of it then reaches this copy.
  const decoded = relayPath(url);
  const path = decoded === null ? url : decoded.endsWith('/') ? `${decoded}index.html` : decoded;
  const epoch = engine.epochs.of(path);
  const bytes = await response.arrayBuffer();
  const hash = await sha256Hex(bytes);
  if (engine.cache.get(url)?.hash === hash) return true;
  const contentType = response.headers.get('content-type') ?? 'text/html';
  return engine.cache.put(url, { path, hash, bytes, epoch, contentType }, 'network', 'shell');
}
