import { Lifetime } from '../kit/lifetime.js';
import type { FetchContext } from './context.js';
import { cachePage } from './fetch-page.js';
import { fromNetwork } from './fetch-network.js';
import { cacheKey, classify, relayPath } from './route.js';

declare const self: ServiceWorkerGlobalScope;

/** A page lists few files it loaded before the worker controlled it; cap what we accept. */
const MAX_WARM_URLS = 256;

/**
 * Caches what a page loaded before this worker controlled it (the page, its boot script,
 * modrelay's client), so the next load works offline. Files go through the same network
 * path as a fallback fetch; the page's own URL is cached as a network-first copy.
 */
export async function warm(ctx: FetchContext, urls: string[]): Promise<void> {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const pages = new Set(windows.map((client) => cacheKey(client.url)));
  const lifetime = new Lifetime();
  for (const raw of urls.slice(0, MAX_WARM_URLS)) {
    if (typeof raw !== 'string') continue;
    const url = cacheKey(raw);
    if (ctx.cache.get(url)) continue;
    const request = new Request(url, { credentials: 'same-origin' });
    // A window's own URL is a page (sealed with its files: fetch-page.ts), whatever its extension.
    if (pages.has(url) && url.startsWith(ctx.scope)) {
      lifetime.waitUntil(fetch(request).then((response) => {
        if (response.status !== 200) return false;
        ctx.headers.learn(response);
        return cachePage(ctx, url, relayPath(url), response);
      }));
    } else if (classify(request, ctx.scope, ctx.extensions, self.location.pathname) === 'file') {
      lifetime.waitUntil(fromNetwork(ctx, request, url, relayPath(url), lifetime));
    }
  }
  await lifetime.done();
}
