/**
 * The two versions of modrelay's worker under `store: 'http-cache'` (protocol/sw-url.ts
 * `routed`): without static routes it answers every module itself (a first visit, through
 * the relay); the routed one lets the browser's HTTP cache answer them. Static routes are
 * fixed when a version installs, so the page switches by registering the other script URL:
 * the new version installs, takes over (skipWaiting + clients.claim) once the old one is idle,
 * and serves the next load.
 */
import { decodeScriptUrl } from '../protocol/sw-url.js';
import type { HttpCacheState } from '../protocol/page-messages.js';

export function isRouted(worker: ServiceWorker | null): boolean {
  return worker !== null && decodeScriptUrl(worker.scriptURL).routed === true;
}

let switching = false;

/**
 * The worker's `store:state` answer: `ready` (every file the page loaded has a verified copy)
 * moves the page to the routed version, `unsupported` (the server ignores the store header)
 * moves it back. At most one switch per page load.
 */
export function followStoreState(
  container: ServiceWorkerContainer, state: HttpCacheState, scriptUrl: (routed: boolean) => string, scope: string,
): void {
  const routed = isRouted(container.controller);
  const wanted = state === 'ready' ? true : state === 'unsupported' ? false : routed;
  if (switching || wanted === routed || !container.controller) return;
  switching = true;
  container.register(scriptUrl(wanted), { scope }).catch((error: unknown) => {
    console.warn('modrelay: could not switch worker versions; modules stay with the current one', error);
  });
}
