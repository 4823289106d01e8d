/**
 * The routed version of the `http-cache` store keeps module fetches away from this worker:
 * static routes (`InstallEvent.addRoutes`, Chromium 123+) send them straight to the network,
 * where the browser's HTTP cache answers them. A fetch event per module costs ~2 ms and loses
 * V8's code cache (docs/performance.md, observation 1), which is most of a warm reload.
 * Pages race the network against the fetch handler: a stopped worker's start-up is then not
 * on the path of a warm load (the network answers first), and offline the handler's cached
 * copy still answers. modrelay's own files under `/@modrelay/` go to the network like modules:
 * the HTTP cache holds the client as an immutable copy (client-copy.ts). Every version of
 * modrelay's own worker routes what its fetch handler would not answer to the network (`addRoutes`).
 */
import { OWN_PATH_PREFIX } from '../../protocol/defaults.js';

export interface RouterRule {
  condition: { urlPattern: Record<string, string> } | { requestMode: RequestMode };
  source: 'network' | 'fetch-event' | 'race-network-and-fetch-handler';
}

interface RoutingInstallEvent extends ExtendableEvent {
  addRoutes(rules: RouterRule[]): Promise<void>;
}

/** Whether this browser has the static routing API at all (checked before any install event). */
export function routable(): boolean {
  // TypeScript's WebWorker lib does not declare InstallEvent yet.
  const installEvent = (globalThis as { InstallEvent?: { prototype: object } }).InstallEvent;
  return installEvent !== undefined && 'addRoutes' in installEvent.prototype;
}

export function canRoute(event: ExtendableEvent): event is RoutingInstallEvent {
  return typeof (event as Partial<RoutingInstallEvent>).addRoutes === 'function';
}

/** URLPattern syntax treats these as special; a scope path may contain them. */
function escapePattern(text: string): string {
  return text.replace(/[\\:*(){}?+]/g, '\\$&');
}

/** Matches every URL, other origins included: no component is left to inherit from the worker's URL. */
const ANY_URL = { protocol: '*', hostname: '*', port: '*', pathname: '*' };

/**
 * `routed`: modules go to the network (the HTTP cache answers them); otherwise the fetch
 * handler answers them. Either way, only what the handler answers reaches it (route.ts):
 * navigations and served files under the scope. Everything else (an app's API calls and polls,
 * other origins) goes to the network without a fetch event, which the handler would only let
 * through. Besides the event's cost, a page polling every 200 ms then cannot wake an old
 * version while it is being replaced: Chromium restarts it for the fetch and forgets that it
 * was to stop at once, so the new version waited (up to minutes) for it to go idle.
 */
export function routesFor(scope: string, extensions: readonly string[], routed: boolean, { catchAll = true } = {}): RouterRule[] {
  const base = escapePattern(new URL(scope).pathname);
  return [
    // First match wins: pages and modrelay's client before the module rules that would match them.
    { condition: { requestMode: 'navigate' }, source: routed ? 'race-network-and-fetch-handler' : 'fetch-event' },
    ...(routed ? [{ condition: { urlPattern: { pathname: `${OWN_PATH_PREFIX}*` } }, source: 'network' } as const] : []),
    // Any other page URL stays with the fetch handler: network-first with an offline copy (fetch-page.ts).
    ...extensions.map((ext): RouterRule => ({
      condition: { urlPattern: { pathname: `${base}*${escapePattern(ext)}` } },
      source: routed && ext !== '.html' ? 'network' : 'fetch-event',
    })),
    // Inside an app's own worker (sw/hooks.ts) what modrelay does not answer is the app's to handle.
    ...(catchAll ? [{ condition: { urlPattern: ANY_URL }, source: 'network' } as const] : []),
  ];
}

/** Installs `rules`; a browser that refuses them leaves every request to the fetch handler. */
export async function addRoutes(event: RoutingInstallEvent, rules: RouterRule[]): Promise<void> {
  try {
    await event.addRoutes(rules);
  } catch (error) {
    // Every request then goes through the fetch handler, as with `store: 'cache-storage'`: slower, still correct.
    console.warn('modrelay: static routes refused; every request goes through the worker', error);
  }
}
