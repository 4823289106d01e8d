/**
 * modrelay's own service worker (served as /sw.js; options in its query, see
 * protocol/sw-url.ts). To mount modrelay inside an existing Workbox worker instead, see strategy.ts.
 */
import { clientsClaim } from 'workbox-core';
import { decodeScriptUrl } from '../protocol/sw-url.js';
import { deleteOldCaches } from './cache-storage-store.js';
import { copyClient } from './client-copy.js';
import { Engine } from './engine.js';
import { fetchModule } from './fetch-module.js';
import { fetchPage } from './fetch-page.js';
import { fetchRange } from './fetch-range.js';
import { loadsDone } from './loads.js';
import { onPageMessage } from './messages.js';
import { routeOf } from './route.js';
import { addRoutes, canRoute } from './static-routes.js';

declare const self: ServiceWorkerGlobalScope;

const engine = new Engine(decodeScriptUrl(self.location.href), true);
/** The routed version of the HTTP-cache store: static routes, and the client's copy (client-copy.ts). */
const routedStore = engine.httpStore !== null && engine.options.routed === true;

// A new version takes over at once and claims open pages: the first visit is controlled
// without a reload (BROWSER-FACTS.md: without clients.claim() it is not).
self.addEventListener('install', (event) => {
  void self.skipWaiting();
  // Modules go to the network only in the routed version, and only when the engine keeps an
  // HTTP-cache store (it checked the API exists): until then they are answered here
  // (protocol/sw-url.ts). Every version sends what it does not answer to the network.
  if (canRoute(event)) event.waitUntil(addRoutes(event, engine.options.scope, engine.options.extensions, routedStore));
});
clientsClaim();
self.addEventListener('activate', (event) => {
  // The client's copy is made here, not at install: until this version activates, the one it
  // replaces still answers loads, and it revalidates modrelay's files with the server's
  // `no-cache` answer (fetch-module.ts), which would overwrite a copy made earlier.
  const client = routedStore ? copyClient(self.location.origin) : undefined;
  event.waitUntil(Promise.all([deleteOldCaches(), client]));
});

self.addEventListener('fetch', (event) => {
  const { scope, extensions } = engine.options;
  const route = routeOf(event.request, scope, extensions, self.location.pathname);
  if (!route) return;
  engine.lastFetchAt = Date.now();
  if (event.request.destination === 'script') engine.httpStore?.owe(event.request.url);
  const range = event.request.headers.get('range');
  const { response, done } = route === 'navigate'
    ? fetchPage(engine, event.request)
    : range !== null ? fetchRange(engine, event.request, range) : fetchModule(engine, event.request);
  event.respondWith(response);
  event.waitUntil(done);
  // A load is answered by one version: while a page loads through this worker it stays busy,
  // so a version that replaces it (client/versions.ts) activates between loads. Chromium
  // activates it the moment this one is idle, and a dedicated Worker created by a page in that
  // moment never got its script (test/browser/assets.test.ts).
  if (route === 'navigate' && engine.httpStore) event.waitUntil(loadsDone(engine));
});

self.addEventListener('message', (event) => onPageMessage(engine, event));
