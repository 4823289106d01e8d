/**
 * The routed version of the `http-cache` store keeps module fetches away from this worker:
 * static routes (`InstallEvent.addRoutes`, Chromium 123+) send them straight to the network,
 * where the browser's HTTP cache answers them. A fetch event per module costs ~2 ms and loses
 * V8's code cache (docs/performance.md, observation 1), which is most of a warm reload.
 * Pages race the network against the fetch handler: a stopped worker's start-up is then not
 * on the path of a warm load (the network answers first), and offline the handler's cached
 * copy still answers. modrelay's own files under `/@modrelay/` go to the network like modules:
 * the HTTP cache holds the client as an immutable copy (client-copy.ts).
 */
import { OWN_PATH_PREFIX } from '../protocol/defaults.js';

interface RouterRule {
  condition: { urlPattern: { pathname: string } } | { requestMode: RequestMode };
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

export async function addModuleRoutes(event: RoutingInstallEvent, scope: string, extensions: readonly string[]): Promise<void> {
  const base = escapePattern(new URL(scope).pathname);
  const rules: RouterRule[] = [
    // First match wins: pages and modrelay's client before the module rules that would match them.
    { condition: { requestMode: 'navigate' }, source: 'race-network-and-fetch-handler' },
    { condition: { urlPattern: { pathname: `${OWN_PATH_PREFIX}*` } }, source: 'network' },
    // Any other page URL stays with the fetch handler: network-first with an offline copy (fetch-page.ts).
    ...extensions.filter((ext) => ext !== '.html')
      .map((ext): RouterRule => ({ condition: { urlPattern: { pathname: `${base}*${escapePattern(ext)}` } }, source: 'network' })),
  ];
  try {
    await event.addRoutes(rules);
  } catch (error) {
    // Modules then go through the fetch handler, as with `store: 'cache-storage'`: slower, still correct.
    console.warn('modrelay: static routes refused; modules go through the worker', error);
  }
}
