/**
 * What a page's boot script calls before importing its modules:
 *
 *   const { registerModuleRelay } = await import('/@modrelay/client.mjs');
 *   await registerModuleRelay();
 *   await import('./app.mjs');
 *
 * It registers modrelay's service worker, resolves once the worker controls the page (or
 * after `timeout`: it never hangs), tells the worker what the page loaded before it was
 * controlled, keeps the worker awake while the page is visible, and turns the worker's
 * change notices into `modrelay:update` events.
 */
import { RELAY_PORT, RELAY_URL_PLACEHOLDER } from '../protocol/defaults.js';
import { CLIENT_OPTIONS, DEFAULT_STORE, type StoreName } from '../protocol/client-options.js';
import { encodeScriptUrl } from '../protocol/sw-url.js';
import type { RelayState, StoreStatus } from '../protocol/page-messages.js';
import { Feedback } from './feedback.js';
import { earlyModules, earlyModulesMessage, otherWorker, otherWorkerMessage } from './checks.js';
import { listen, started } from './notices.js';
import { evict, prepareHttpCache } from './http-cache.js';
import { watchLoads } from './loads.js';
import { followStoreState, isRouted } from './versions.js';

/** `modrelay serve` replaces this literal with its relay's URL when it serves this file. */
const ANNOUNCED_RELAY_URL: string = RELAY_URL_PLACEHOLDER;

export interface ModuleRelayClientOptions {
  /** The relay's WebSocket URL, or its path on the page's own server ('/ws/modules'). Default: announced by the server that served the client, else `ws://<host>:8889/`. */
  relayUrl?: string;
  /** Where the worker script is served. Default '/sw.js'. */
  swUrl?: string;
  /** Registration scope. Default '/'. */
  scope?: string;
  /** Milliseconds to wait for the worker to control the page. Default 5000. */
  timeout?: number;
  /** Milliseconds a module fetch may wait for the relay before using HTTP. Default: the worker's (500). */
  budget?: number;
  /** File extensions the worker answers, with the dot. Default: the worker's (every type the relay serves by default). */
  extensions?: string[];
  /** Bytes of module bodies the worker keeps in memory (the rest stay in Cache Storage). Default: the worker's (64 MiB). */
  memoryBytes?: number;
  /**
   * Where warm modules live. `http-cache` (default): the worker answers the first visit from
   * the relay (immune to a broken HTTP proxy), then copies every file the page loaded into the
   * browser's HTTP cache, each checked against the relay's sha-256; once all are copied, module
   * fetches skip the worker and a warm reload is as fast as the browser's own cache. Needs
   * Chromium's static routing API and a server that honours the store header (`modrelay serve`,
   * `modrelay/middleware`, the Caddy lines in docs/integration.md); elsewhere it behaves as
   * `cache-storage`, detected. `cache-storage`: the worker always answers from Cache Storage.
   */
  store?: StoreName;
  /** Reload the page when a module changes. Default false. */
  reloadOnUpdate?: boolean;
  /**
   * A changed stylesheet linked with `<link rel=stylesheet>` is swapped in place, without a
   * reload (even with `reloadOnUpdate`). Default true; false treats it like any other change.
   */
  hotStylesheets?: boolean;
  /** Show an app that fails to load (a syntax error, a missing module) in an overlay, not only in the console. Default true. */
  overlay?: boolean;
  /** Heartbeat interval while the page is visible, in ms; 0 turns it off. Default 20000. */
  heartbeatMs?: number;
}

export interface ModuleUpdate {
  /** Absolute URL of the module, as the page imports it. */
  url: string;
  /** The new sha-256, or null when the file was removed. */
  hash: string | null;
}

export interface ModuleRelayRegistration {
  /**
   * `controlled`: modules now go through the worker. `timeout`: not controlled in time,
   * modules come over plain HTTP this load. `bypassed`: the browser left this load without
   * its worker (a hard reload, Shift+Reload), so nothing would take control: modules come
   * over plain HTTP, at once. `unsupported`: no Service Workers here (HTTP). `failed`:
   * registration threw (see `error`); modules come over HTTP.
   */
  status: 'controlled' | 'timeout' | 'bypassed' | 'unsupported' | 'failed';
  registration?: ServiceWorkerRegistration;
  error?: unknown;
  /** Calls `callback` for every module change; returns the unsubscribe function. */
  onUpdate(callback: (update: ModuleUpdate) => void): () => void;
  /**
   * The worker's link to the relay as last reported: `connected`, `connecting`,
   * `relay-unreachable` or `origin-refused` (files then come over plain HTTP; the console says
   * how to fix it).
   */
  relayState(): RelayState;
  /**
   * Which store answers this page's files and why, as the worker last said (also a
   * `modrelay:store` event on `window` when it changes): `answering` is `http-cache` once the
   * browser's HTTP cache answers warm loads, `worker` otherwise, with the `reason` the fast path
   * is not on. Null until the worker has said.
   */
  store(): StoreStatus | null;
}

declare global {
  interface WindowEventMap {
    'modrelay:update': CustomEvent<ModuleUpdate>;
    'modrelay:store': CustomEvent<StoreStatus>;
  }
}

/** The client's own defaults (the worker's are the worker's), from the one declaration of each option. */
export const DEFAULTS = {
  swUrl: CLIENT_OPTIONS.swUrl.default,
  scope: CLIENT_OPTIONS.scope.default,
  timeout: CLIENT_OPTIONS.timeout.default,
  reloadOnUpdate: CLIENT_OPTIONS.reloadOnUpdate.default,
  hotStylesheets: CLIENT_OPTIONS.hotStylesheets.default,
  overlay: CLIENT_OPTIONS.overlay.default,
  heartbeatMs: CLIENT_OPTIONS.heartbeatMs.default,
} as const;

// Every option has one declaration, and every declaration is an option: a key added to one
// side only fails to compile here.
CLIENT_OPTIONS satisfies Record<keyof ModuleRelayClientOptions, unknown>;
const declaredOnly: [Exclude<keyof typeof CLIENT_OPTIONS, keyof ModuleRelayClientOptions>] extends [never] ? true : false = true;
void declaredOnly;

function defaultRelayUrl(): string {
  // A regex, not a comparison with another literal: serve replaces every copy of the literal.
  return /^(wss?:\/\/|\/)/.test(ANNOUNCED_RELAY_URL) ? ANNOUNCED_RELAY_URL : `ws://${location.hostname}:${RELAY_PORT}/`;
}

/** A path ('/ws/modules': the relay inside the page's own server) is on the page's origin: `wss://` under HTTPS. */
function relayUrlOf(value: string): string {
  if (/^wss?:/i.test(value)) return value;
  const url = new URL(value, location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

function onUpdate(callback: (update: ModuleUpdate) => void): () => void {
  const listener = (event: CustomEvent<ModuleUpdate>) => callback(event.detail);
  addEventListener('modrelay:update', listener);
  return () => removeEventListener('modrelay:update', listener);
}

export async function registerModuleRelay(options: ModuleRelayClientOptions = {}): Promise<ModuleRelayRegistration> {
  const o = { ...DEFAULTS, ...options };
  const relayUrl = relayUrlOf(o.relayUrl ?? defaultRelayUrl());
  const feedback = new Feedback(relayUrl, o.overlay);
  // What every answer below carries besides its status.
  const common = { onUpdate, relayState: () => feedback.state, store: () => feedback.store };
  if (!('serviceWorker' in navigator)) return { status: 'unsupported', ...common };
  const container = navigator.serviceWorker;
  const httpCache = (o.store ?? DEFAULT_STORE) === 'http-cache';
  // The version that controls this load stays: registering its own URL again changes nothing.
  // A load the browser left uncontrolled (a hard reload) keeps the registration's newest one.
  const existing = await container.getRegistration(o.scope);
  const routed = httpCache && isRouted(container.controller ?? newest(existing));
  const other = otherWorker(existing, o.swUrl, o.scope);
  if (other !== null) {
    const message = otherWorkerMessage(other, o.scope);
    console.warn(message);
    return { status: 'failed', error: new Error(message), ...common };
  }
  const firstVisit = !container.controller;
  const scriptUrl = (asRouted: boolean) => encodeScriptUrl(o.swUrl, { ...o, relayUrl, routed: asRouted });
  listen(container, feedback, o.reloadOnUpdate, o.hotStylesheets, httpCache);

  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => { timer = setTimeout(resolve, o.timeout, 'timeout'); });
  const whenControlled = new Promise<'controlled'>((resolve) => {
    if (container.controller) resolve('controlled');
    else container.addEventListener('controllerchange', () => resolve('controlled'), { once: true });
  });
  watchLoads(o.extensions ?? CLIENT_OPTIONS.extensions.default, whenControlled, httpCache ? (store) => {
    // The worker revalidated its copy of this client (sw/http-cache/client-copy.ts): take the
    // current one into Blink's memory cache, which would otherwise serve this tab's next load.
    if (isRouted(container.controller)) void evict([import.meta.url]);
    feedback.storeSaid(store);
    if (store.state !== 'off') followStoreState(container, store.state, scriptUrl, o.scope);
  } : undefined);
  try {
    const registering = registered(container, scriptUrl(routed), o.scope);
    // Only the routed version lets the HTTP cache answer imports: make its copies current
    // first. When it controls this load already, the worker prepares while that resolves.
    const preparing = () => (httpCache && isRouted(container.controller) ? prepareHttpCache() : undefined);
    const preparedEarly = preparing();
    const registration = await Promise.race([registering, timedOut]);
    if (registration === 'timeout') return { status: 'timeout', ...common };
    if (!container.controller && bypassed(registration)) return { status: 'bypassed', registration, ...common };
    const controlled = await Promise.race([whenControlled, timedOut]);
    if (controlled === 'controlled') {
      started(o.heartbeatMs, feedback, o.swUrl);
      const early = firstVisit ? earlyModules(performance.now(), import.meta.url) : [];
      if (early.length > 0) console.warn(earlyModulesMessage(early));
      // Claimed by the routed version while loading (it activated meanwhile): prepare now.
      const prepared = preparedEarly ?? preparing();
      if (prepared && (await Promise.race([prepared, timedOut])) !== 'ready') {
        await timedOut; // reloading, or the worker did not answer in time: the page goes on over HTTP
        return { status: 'timeout', registration, ...common };
      }
    }
    return { status: controlled, registration, ...common };
  } catch (error) {
    return { status: 'failed', error, ...common };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Registers the worker, unless the version in control is that script at that scope already.
 * Registering it again would change nothing, except while the page switches versions
 * (client/versions.ts): the registration's newest worker is then the other version, and
 * registering this one again installs a third version, which replaces the one the page is
 * switching to (test/browser/http-cache-store.test.ts, "a reload while the page switches").
 */
async function registered(container: ServiceWorkerContainer, scriptUrl: string, scope: string): Promise<ServiceWorkerRegistration> {
  if (container.controller?.scriptURL === new URL(scriptUrl, location.href).href) {
    const registration = await container.ready;
    if (registration.scope === new URL(scope, location.href).href) return registration;
  }
  return container.register(scriptUrl, { scope });
}

function newest(registration: ServiceWorkerRegistration | undefined): ServiceWorker | null {
  return registration ? registration.installing ?? registration.waiting ?? registration.active : null;
}

/**
 * Uncontrolled although the registration's version is active and none is on its way: the
 * browser left this load without its worker (a hard reload), and only a new version's
 * `clients.claim()` would take control. A first visit always has a version installing here
 * (`register()` resolves before it installs).
 */
function bypassed(registration: ServiceWorkerRegistration): boolean {
  return registration.active?.state === 'activated' && !registration.installing && !registration.waiting;
}
