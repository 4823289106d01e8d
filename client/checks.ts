import { MODULE_TYPES, hasExtension } from '../protocol/file-types.js';
import { WORKER_HOOKS_PATH } from '../protocol/defaults.js';

const MOUNT = `mount modrelay inside it (importScripts('${WORKER_HOOKS_PATH}'), or 'modrelay/worker' bundled; docs/integration.md, "An app with its own plain service worker") and register it with registerModuleRelay({ swUrl })`;

/**
 * The script of another worker registered at this very scope, or null. A scope has one
 * registration: registering modrelay's worker there would replace the app's own.
 */
export function otherWorker(registration: ServiceWorkerRegistration | undefined, swUrl: string, scope: string): string | null {
  if (!registration || registration.scope !== new URL(scope, location.href).href) return null;
  const worker = registration.installing ?? registration.waiting ?? registration.active;
  if (!worker) return null;
  return new URL(worker.scriptURL).pathname === new URL(swUrl, location.href).pathname ? null : worker.scriptURL;
}

export function otherWorkerMessage(script: string, scope: string): string {
  return `[modrelay] this page already has its own service worker at scope ${scope} (${new URL(script).pathname}); `
    + `registering modrelay's would replace it, so modrelay stays out and files come over plain HTTP. To have both, ${MOUNT}.`;
}

/** The worker in control never answered modrelay's `status` request: it is the app's own, without modrelay inside. */
export function silentWorkerMessage(swUrl: string): string {
  return `[modrelay] the worker at ${swUrl} controls this page but does not answer modrelay: files come over plain HTTP. If it is your own worker, ${MOUNT}.`;
}

/**
 * The first visit's modules that came over plain HTTP before the worker controlled the page:
 * a boot script's static imports run before `registerModuleRelay()`. Resource Timing shows
 * them; the page's own `<script src>` and this client do not count.
 */
export function earlyModules(controlledAt: number, clientUrl: string): string[] {
  const entries = new Set([...document.scripts].map((script) => script.src).filter(Boolean));
  return (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
    .filter((entry) => entry.startTime < controlledAt && (entry.initiatorType === 'script' || entry.initiatorType === 'other'))
    .map((entry) => entry.name.split('#')[0]!)
    .filter((url) => url.startsWith(location.origin) && url !== clientUrl && !entries.has(url) && hasExtension(new URL(url).pathname, Object.keys(MODULE_TYPES)));
}

export function earlyModulesMessage(urls: string[]): string {
  const names = urls.slice(0, 5).map((url) => new URL(url).pathname).join(', ') + (urls.length > 5 ? ', …' : '');
  return `[modrelay] ${urls.length} module(s) came over plain HTTP before modrelay's worker controlled this page (${names}): `
    + 'your boot script imports them statically, so the browser fetches them before registerModuleRelay() runs. '
    + "Import the app after it instead — await registerModuleRelay(); await import('./app.mjs') — as the boot file `modrelay init` writes does.";
}
