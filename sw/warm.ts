import { fromNetwork } from './fetch-network.js';
import { keep } from './fetch-page.js';
import type { Engine } from './engine.js';
import { cacheKey, relayPath, routeOf } from './route.js';

declare const self: ServiceWorkerGlobalScope;

/** A page lists few files it loaded before the worker controlled it; cap what we accept. */
const MAX_WARM_URLS = 256;

/**
 * Caches what a page loaded before this worker controlled it (the page, its boot script,
 * modrelay's client), so the next load works offline. Modules go through the same network
 * path as a fallback fetch; the page's own URL is cached as a network-first copy.
 */
export async function warm(engine: Engine, urls: string[]): Promise<void> {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const pages = new Set(windows.map((client) => cacheKey(client.url)));
  const { scope, extensions } = engine.options;
  const jobs: Promise<unknown>[] = [];
  for (const raw of urls.slice(0, MAX_WARM_URLS)) {
    if (typeof raw !== 'string') continue;
    const url = cacheKey(raw);
    if (engine.cache.get(url)) continue;
    const request = new Request(url, { credentials: 'same-origin' });
    const route = routeOf(request, scope, extensions, self.location.pathname);
    if (route === 'module') {
      const background: Promise<unknown>[] = [];
      jobs.push(fromNetwork(engine, request, url, relayPath(url), background).then(() => Promise.all(background)));
    } else if (pages.has(url) && url.startsWith(scope)) {
      jobs.push(fetch(request).then((response) => response.status === 200 && keep(engine, url, response)));
    }
  }
  await Promise.allSettled(jobs);
}
