/**
 * modrelay's own service worker (served as /sw.js; options in its query, see
 * protocol/sw-url.ts). To mount modrelay inside an existing Workbox worker instead, see strategy.ts.
 */
import { clientsClaim } from 'workbox-core';
import { decodeScriptUrl } from '../protocol/sw-url.js';
import { deleteOldCaches } from './cache/cached.js';
import { Engine } from './engine.js';
import { addRoutes, canRoute, routesFor } from './http-cache/static-routes.js';

declare const self: ServiceWorkerGlobalScope;

const engine = new Engine(decodeScriptUrl(self.location.href), { routedVersions: true });
/** The routed version of the HTTP-cache store: static routes, and the client's copy (sw/http-cache/client-copy.ts). */
const routedStore = engine.httpStore !== null && engine.options.routed;

// A new version takes over at once and claims open pages: the first visit is controlled
// without a reload (without clients.claim() it is not).
self.addEventListener('install', (event) => {
  void self.skipWaiting();
  // Files go to the network only in the routed version, and only when the engine keeps an
  // HTTP-cache store (it checked the API exists): until then they are answered here
  // (protocol/sw-url.ts). Every version sends what it does not answer to the network.
  if (canRoute(event)) event.waitUntil(addRoutes(event, routesFor(engine.options.scope, engine.options.extensions, routedStore)));
  // The app's page says which headers its files carry (COEP, COOP…): known before the first answer.
  event.waitUntil(engine.headers.learnFromScope());
});
clientsClaim();
self.addEventListener('activate', (event) => {
  // The client's copy is made here, not at install: until this version activates, the one it
  // replaces still answers loads, and it revalidates modrelay's files with the server's
  // `no-cache` answer (sw/fetch/fetch-file.ts), which would overwrite a copy made earlier.
  event.waitUntil(Promise.all([deleteOldCaches(), routedStore ? engine.copyClient() : undefined]));
});

self.addEventListener('fetch', (event) => {
  const handled = engine.handle(event.request, event.clientId);
  if (!handled) return;
  event.respondWith(handled.response);
  event.waitUntil(handled.done);
});

self.addEventListener('message', (event) => engine.message(event));
