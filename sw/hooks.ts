/**
 * modrelay inside an app's own plain Service Worker (no Workbox): the worker hands modrelay its
 * events, and keeps everything modrelay does not answer for itself.
 *
 *   importScripts('/@modrelay/worker.js');            // classic worker: defines self.modrelay
 *   // or, bundled: import { createModuleRelay } from 'modrelay/worker';
 *   const relay = modrelay.createModuleRelay();        // options from this worker's URL (the client puts them there)
 *   self.addEventListener('install', (event) => event.waitUntil(relay.install(event)));
 *   self.addEventListener('activate', (event) => event.waitUntil(relay.activate(event)));
 *   self.addEventListener('fetch', (event) => { if (!relay.fetch(event)) myOwnFetch(event); });
 *   self.addEventListener('message', (event) => { if (!relay.message(event)) myOwnMessage(event); });
 *
 * and the page registers this worker through the client: `registerModuleRelay({ swUrl: '/sw.js' })`.
 * The default store works as in modrelay's own worker: the client registers the routed version
 * of this same script (`?…&routed=1`), whose `install` adds modrelay's static routes — or, if
 * the app adds routes of its own, it merges `routes(routed)` into its one `addRoutes` call.
 * Like modrelay's own worker, `install` takes over at once (`skipWaiting`) and `activate`
 * claims the open pages: the first visit is then controlled, and a version switch does not
 * wait for every tab to close.
 */
import { decodeScriptUrl } from '../protocol/sw-url.js';
import { deleteOldCaches } from './cache/cached.js';
import { Engine } from './engine.js';
import { addRoutes, canRoute, routesFor, type RouterRule } from './http-cache/static-routes.js';
import type { ModuleRelayOptions } from './options.js';

declare const self: ServiceWorkerGlobalScope;

export interface ModuleRelayHooks {
  /** For the app's 'install' listener (`event.waitUntil(…)`): takes over at once, adds the static routes of a routed version, reads the page's headers. */
  install(event: ExtendableEvent): Promise<void>;
  /** For the app's 'activate' listener: claims the open pages, drops old caches, copies the client (routed version). */
  activate(event: ExtendableEvent): Promise<void>;
  /** Call first in the app's 'fetch' listener: true when modrelay answered the request (`respondWith` was called). */
  fetch(event: FetchEvent): boolean;
  /** Call in the app's 'message' listener: true when the message was modrelay's. */
  message(event: ExtendableMessageEvent): boolean;
  /** modrelay's static routes for this version, to merge into an `addRoutes` call of the app's own (then `install` adds none). */
  routes(): RouterRule[];
  /** The engine, for tests and DevTools. */
  readonly engine: Engine;
}

/** Options given here win over the ones in the worker's script URL. `addRoutes: false`: the app merges `routes()` itself. */
export function createModuleRelay(options: ModuleRelayOptions & { addRoutes?: boolean } = {}): ModuleRelayHooks {
  const { addRoutes: adds = true, ...given } = options;
  const engine = new Engine({ ...decodeScriptUrl(self.location.href), ...given }, { routedVersions: true });
  const routed = engine.httpStore !== null && engine.options.routed;
  const routes = () => routesFor(engine.options.scope, engine.options.extensions, routed, { catchAll: false });
  return {
    engine,
    routes,
    async install(event) {
      void self.skipWaiting();
      await Promise.all([adds && canRoute(event) ? addRoutes(event, routes()) : undefined, engine.headers.learnFromScope()]);
    },
    async activate() {
      await Promise.all([self.clients.claim(), deleteOldCaches(), routed ? engine.copyClient() : undefined]);
    },
    fetch(event) {
      const handled = engine.handle(event.request, event.clientId);
      if (!handled) return false;
      event.respondWith(handled.response);
      event.waitUntil(handled.done);
      return true;
    },
    message(event) {
      const data = event.data as { source?: unknown } | null;
      if (!data || typeof data !== 'object' || data.source !== 'modrelay') return false;
      engine.message(event);
      return true;
    },
  };
}
