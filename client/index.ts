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
import type { PageToSwMessage, SwToPageMessage } from '../protocol/wire.js';

/** `modrelay serve` replaces this literal with its relay's URL when it serves this file. */
const ANNOUNCED_RELAY_URL = '__MODRELAY_RELAY_URL__';

export interface ModuleRelayClientOptions {
  /** The relay's WebSocket URL. Default: announced by `modrelay serve`, else `ws://<host>:8889/`. */
  relayUrl?: string;
  /** Where the worker script is served. Default '/sw.js'. */
  swUrl?: string;
  /** Registration scope. Default '/'. */
  scope?: string;
  /** Milliseconds to wait for the worker to control the page. Default 5000. */
  timeout?: number;
  /** Milliseconds a module fetch may wait for the relay before using HTTP. Default: the worker's (500). */
  budget?: number;
  /** Module file extensions the worker answers, with the dot. Default: the worker's (.mjs, .js). */
  extensions?: string[];
  /** Bytes of module bodies the worker keeps in memory (the rest stay in Cache Storage). Default: the worker's (64 MiB). */
  memoryBytes?: number;
  /**
   * Where warm modules live. `cache-storage` (default): the worker answers every module from
   * Cache Storage or the relay (immune to a broken HTTP proxy). `http-cache`: the browser's
   * HTTP cache holds them and module fetches never reach the worker, so a warm reload is as
   * fast as the browser's own cache; needs `modrelay serve` (or a server following
   * docs/integration.md) and Chromium's static routing API (elsewhere: `cache-storage`).
   */
  store?: 'cache-storage' | 'http-cache';
  /** Reload the page when a module changes. Default false. */
  reloadOnUpdate?: boolean;
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
   * modules come over plain HTTP this load. `unsupported`: no Service Workers here (HTTP).
   * `failed`: registration threw (see `error`); modules come over HTTP.
   */
  status: 'controlled' | 'timeout' | 'unsupported' | 'failed';
  registration?: ServiceWorkerRegistration;
  error?: unknown;
  /** Calls `callback` for every module change; returns the unsubscribe function. */
  onUpdate(callback: (update: ModuleUpdate) => void): () => void;
}

declare global {
  interface WindowEventMap {
    'modrelay:update': CustomEvent<ModuleUpdate>;
  }
}

export const DEFAULTS = {
  swUrl: '/sw.js',
  scope: '/',
  timeout: 5000,
  reloadOnUpdate: false,
  heartbeatMs: 20_000,
} as const;

function defaultRelayUrl(): string {
  // A regex, not a comparison with another literal: serve replaces every copy of the literal.
  return /^wss?:\/\//.test(ANNOUNCED_RELAY_URL) ? ANNOUNCED_RELAY_URL : `ws://${location.hostname}:8889/`;
}

function onUpdate(callback: (update: ModuleUpdate) => void): () => void {
  const listener = (event: CustomEvent<ModuleUpdate>) => callback(event.detail);
  addEventListener('modrelay:update', listener);
  return () => removeEventListener('modrelay:update', listener);
}

export async function registerModuleRelay(options: ModuleRelayClientOptions = {}): Promise<ModuleRelayRegistration> {
  const o = { ...DEFAULTS, ...options };
  if (!('serviceWorker' in navigator)) return { status: 'unsupported', onUpdate };
  const container = navigator.serviceWorker;
  listen(container, o.reloadOnUpdate, o.store === 'http-cache');

  const query = new URLSearchParams({ relay: o.relayUrl ?? defaultRelayUrl() });
  if (o.budget !== undefined) query.set('budget', String(o.budget));
  if (o.extensions) query.set('ext', o.extensions.join(','));
  if (o.memoryBytes !== undefined) query.set('memory', String(o.memoryBytes));
  if (o.store && o.store !== 'cache-storage') query.set('store', o.store);
  const scriptUrl = `${o.swUrl}?${query}`;

  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => { timer = setTimeout(resolve, o.timeout, 'timeout'); });
  try {
    const registration = await Promise.race([container.register(scriptUrl, { scope: o.scope }), timedOut]);
    if (registration === 'timeout') return { status: 'timeout', onUpdate };
    const controlled = container.controller
      ? 'controlled'
      : await Promise.race([
        new Promise<'controlled'>((resolve) => container.addEventListener('controllerchange', () => resolve('controlled'), { once: true })),
        timedOut,
      ]);
    if (controlled === 'controlled') {
      post({ source: 'modrelay', type: 'warm', urls: loadedUrls() });
      heartbeat(o.heartbeatMs);
      if (o.store === 'http-cache') {
        const ready = await Promise.race([prepare(), timedOut]);
        if (ready === 'timeout') return { status: 'timeout', registration, onUpdate };
        await evict(ready.changed);
        writeSession(SYNCED_KEY, String(ready.at));
        // This page already ran a module whose copy changed (its boot script): reload to run
        // the new one. At most once per few seconds, so repeated edits cannot loop.
        if (ready.changed.some((url) => performance.getEntriesByName(url, 'resource').length > 0)) {
          const last = Number(readSession(RELOADED_KEY));
          if (!(Date.now() - last < RELOAD_GUARD_MS)) {
            writeSession(RELOADED_KEY, String(Date.now()));
            location.reload();
            await timedOut;
            return { status: 'timeout', registration, onUpdate };
          }
        }
        reportModules(o.extensions ?? ['.mjs', '.js']);
      }
    }
    return { status: controlled, registration, onUpdate };
  } catch (error) {
    return { status: 'failed', error, onUpdate };
  } finally {
    clearTimeout(timer);
  }
}

function post(message: PageToSwMessage, transfer: Transferable[] = []): void {
  navigator.serviceWorker.controller?.postMessage(message, transfer);
}

const RELOADED_KEY = 'modrelay:reloaded';
const RELOAD_GUARD_MS = 5000;
/** When this tab last evicted what changed (the worker's clock): the next `since`. */
const SYNCED_KEY = 'modrelay:synced';

/** sessionStorage can be unavailable (storage blocked): then every load counts as a new tab. */
function readSession(key: string): string | null {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

function writeSession(key: string, value: string): void {
  try {
    sessionStorage.setItem(key, value);
  } catch {
    // see readSession
  }
}

type StoreReady = Extract<SwToPageMessage, { type: 'store:ready' }>;

/** Asks the worker to make the HTTP-cache copies current before the page imports. */
function prepare(): Promise<StoreReady> {
  const channel = new MessageChannel();
  const ready = new Promise<StoreReady>((resolve) => {
    channel.port1.onmessage = (event: MessageEvent<StoreReady>) => resolve(event.data);
  });
  const since = Number(readSession(SYNCED_KEY)) || performance.timeOrigin;
  post({ source: 'modrelay', type: 'store:prepare', since }, [channel.port2]);
  return ready;
}

/**
 * Tells the worker which modules this page loads over HTTP (Resource Timing sees every one,
 * from the HTTP cache or not), so it keeps immutable copies of the new ones. Batched.
 */
function reportModules(extensions: readonly string[]): void {
  if (typeof PerformanceObserver === 'undefined') return;
  const scope = `${location.origin}/`;
  let batch: string[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const url = entry.name.split('#')[0]!;
      if (!url.startsWith(scope) || url.startsWith(`${scope}@modrelay/`)) continue;
      const { pathname } = new URL(url);
      if (!extensions.some((ext) => pathname.endsWith(ext))) continue;
      if (batch.length === 0) setTimeout(() => { post({ source: 'modrelay', type: 'store:seen', urls: batch }); batch = []; }, 100);
      batch.push(url);
    }
  });
  observer.observe({ type: 'resource', buffered: true });
}

/** The page, this client, and same-origin scripts fetched before the worker controlled us. */
function loadedUrls(): string[] {
  const urls = new Set([location.href.split('#')[0]!, import.meta.url]);
  for (const entry of performance.getEntriesByType('resource')) {
    if (entry.name.startsWith(location.origin)) urls.add(entry.name);
  }
  return [...urls];
}

function heartbeat(ms: number): void {
  if (!(ms > 0)) return;
  setInterval(() => {
    if (document.visibilityState === 'visible') post({ source: 'modrelay', type: 'heartbeat' });
  }, ms);
}

let listening = false;

/**
 * `store: 'http-cache'`: Blink keeps scripts this page loaded in its own memory cache, and an
 * `immutable` one is reused by the next load of this tab without asking the HTTP cache, so
 * it would run the old version even though the worker replaced the copy. A `fetch` of the
 * URL (answered by the HTTP cache: the new copy, no request) takes that entry's place.
 */
function evict(urls: readonly string[]): Promise<unknown> {
  return Promise.allSettled(urls.map((url) => fetch(url).then((response) => response.arrayBuffer())));
}

function listen(container: ServiceWorkerContainer, reloadOnUpdate: boolean, httpCache: boolean): void {
  if (listening) return;
  listening = true;
  // Notices keep their order even when each waits for its eviction.
  let queue: Promise<unknown> = Promise.resolve();
  container.addEventListener('message', (event: MessageEvent<SwToPageMessage>) => {
    const message = event.data;
    if (!message || message.source !== 'modrelay') return;
    if (message.type !== 'module:updated' && message.type !== 'module:removed') return;
    const hash = message.type === 'module:updated' ? message.hash : null;
    const evicted = httpCache ? evict([message.url]) : undefined;
    queue = Promise.all([queue, evicted]).then(() => {
      dispatchEvent(new CustomEvent('modrelay:update', { detail: { url: message.url, hash } }));
      if (reloadOnUpdate) location.reload();
    });
  });
  // Messages sent before the page's load event are held until this (or onmessage) runs.
  container.startMessages();
}
