import { Strategy, type StrategyHandler } from 'workbox-strategies';
export { registerRoute } from 'workbox-routing';
import { SERVED_EXTENSIONS } from '../protocol/defaults.js';
import { Engine } from './engine.js';
import { classify } from './fetch/route.js';
import type { ModuleRelayOptions } from './options.js';

declare const self: ServiceWorkerGlobalScope;

/**
 * modrelay inside an existing Workbox service worker:
 *
 *   import { registerRoute, moduleRelayMatch, ModuleRelayStrategy } from 'modrelay/strategy';
 *   registerRoute(moduleRelayMatch(), new ModuleRelayStrategy({ relayUrl: 'ws://localhost:8889/' }));
 *
 * The bundle carries the Workbox it uses (built for production: no `process.env.NODE_ENV`
 * left for the app's bundler to define) and re-exports Workbox's `registerRoute`, so an app
 * needs no Workbox package of its own. An app that has its own workbox-routing can pass the
 * strategy to its own `registerRoute` instead (one router: use one of them for all routes).
 *
 * Construct it while the worker script first runs (as Workbox routes are): it opens the
 * relay socket and listens for the page's `warm`/`heartbeat` messages. Modules are cached
 * by modrelay's own validated cache (`modrelay-v1` + IndexedDB `modrelay`), not in
 * `cacheName`; Workbox plugins are not applied to relay answers.
 */
export class ModuleRelayStrategy extends Strategy {
  readonly engine: Engine;

  constructor(options: ModuleRelayOptions = {}) {
    super();
    this.engine = new Engine(options);
    self.addEventListener('message', (event) => this.engine.message(event));
  }

  protected override _handle(request: Request, handler: StrategyHandler): Promise<Response> {
    const { response, done } = this.engine.handleFile(request);
    handler.waitUntil(done);
    return response;
  }
}

/** A Workbox route match for the module requests modrelay answers (same origin, in scope). */
export function moduleRelayMatch(options: Pick<ModuleRelayOptions, 'extensions' | 'scope'> = {}) {
  const extensions = options.extensions ?? SERVED_EXTENSIONS;
  return ({ request }: { request: Request }): boolean =>
    classify(request, options.scope ?? self.registration.scope, extensions, self.location.pathname) === 'file';
}
