import { OWN_PATH_PREFIX } from '../protocol/defaults.js';
import { extensionOf, hasExtension } from '../protocol/file-types.js';
import type { FilePath, Hash } from '../protocol/wire.js';
import type { StoreStatus, SwReplyTo, SwToPageMessage } from '../protocol/page-messages.js';
import { CacheStorageStore } from './cache/cache-storage-store.js';
import type { Cached } from './cache/cached.js';
import type { Store } from './cache/store.js';
import type { FetchContext } from './fetch/context.js';
import { fetchFile } from './fetch/fetch-file.js';
import { fetchPage } from './fetch/fetch-page.js';
import { fetchRange } from './fetch/fetch-range.js';
import { Loads } from './fetch/loads.js';
import { cacheKey, relayPath, routeOf } from './fetch/route.js';
import { ResponseHeaders } from './fetch/headers.js';
import { warm } from './fetch/warm.js';
import { copyClient } from './http-cache/client-copy.js';
import { HttpCacheStore } from './http-cache/http-cache-store.js';
import { releaseLeftovers } from './http-cache/records.js';
import { routable } from './http-cache/static-routes.js';
import { Epochs } from './kit/epochs.js';
import type { Handled } from './kit/lifetime.js';
import { onPageMessage, type PagesContext } from './pages/messages.js';
import { ClientKinds } from './pages/client-kinds.js';
import { Announcements, postToPages } from './pages/pages.js';
import type { Link } from './relay/link.js';
import type { RelayAnswers } from './relay/relay-answers.js';
import { RelayLink } from './relay/relay-link.js';
import { resolveOptions, type ModuleRelayOptions, type ResolvedOptions } from './options.js';

declare const self: ServiceWorkerGlobalScope;
/** The version this worker was built as (vite.config.ts). */
declare const __MODRELAY_VERSION__: string;

/** Destinations of the requests the routed version's static routes send to the HTTP cache (a page's scripts and Worker scripts). */
const ROUTED_DESTINATIONS = new Set(['script', 'worker', 'sharedworker']);
const NO_STATIC_ROUTES = 'this browser has no static routing API (InstallEvent.addRoutes, Chromium 123+): the worker answers every file from its validated cache';
const NOT_OWN_WORKER = "modrelay runs inside the app's own worker, which has no routed version: the worker answers every file from its validated cache";

/**
 * The worker, one per worker global: our own sw.js (main.ts) and the Workbox strategy
 * (strategy.ts) each make one. It puts the rooms together — the stores (cache/, http-cache/),
 * the relay link (relay/), fetch answers (fetch/) and the pages (pages/) — and is the context
 * each of them asks for what it needs (`FetchContext`, `PagesContext`); none of them imports it.
 */
export class Engine implements FetchContext, PagesContext {
  readonly options: ResolvedOptions;
  readonly epochs = new Epochs();
  /** Paths the relay does not serve (not under its root, …): network-first from now on. */
  readonly refused = new Set<FilePath>();
  readonly cache: CacheStorageStore;
  /**
   * With `store: 'http-cache'`, in modrelay's own worker (its routed version can replace it)
   * and with the static routing API: the files' copies in the browser's HTTP cache.
   */
  readonly httpStore: HttpCacheStore | null;
  readonly loads: Loads;
  /** The headers every answer carries: what the app's server sends (sw/fetch/headers.ts). */
  readonly headers = new ResponseHeaders();
  private readonly relayLink: RelayLink;
  private readonly announcements = new Announcements();

  /** The kind of each client that asked for a script (a window or a Worker). */
  private readonly clients = new ClientKinds();
  /** `warm` work under way (a page's word on what it loaded waits for it). */
  private warming = Promise.resolve();

  /** `routedVersions`: this is modrelay's own sw.js, which a routed version can replace (not a Workbox strategy). */
  private readonly routedVersions: boolean;

  constructor(options: ModuleRelayOptions = {}, { routedVersions = false }: { routedVersions?: boolean } = {}) {
    this.routedVersions = routedVersions;
    const o = (this.options = resolveOptions(options, self));
    // What the routed version's page loads from the HTTP cache: modrelay's own files, and what the store copied there.
    this.cache = new CacheStorageStore(o.memoryBytes, this.epochs, (path) => this.serves(path), this.refused, () => this.loads.done(),
      (url) => o.routed && this.httpStore !== null && (new URL(url).pathname.startsWith(OWN_PATH_PREFIX) || this.httpStore.tracks(url)));
    // Without static routes every file fetch reaches this worker anyway: Cache Storage it is.
    this.httpStore = o.store === 'http-cache' && routedVersions && routable()
      ? new HttpCacheStore(this.epochs, {
        pathOf: (url) => this.storePath(url),
        refused: this.refused,
        untracked: (path, hash) => this.announce(Promise.resolve(), [{ source: 'modrelay', type: 'module:updated', url: this.urlOf(path), path, hash }]),
        verify: (url, path, hash) => this.relayLink.verifyCopy(url, path, hash),
        routed: o.routed,
      })
      : null;
    if (!this.httpStore) void releaseLeftovers();
    const stores: Store[] = this.httpStore ? [this.cache, this.httpStore] : [this.cache];
    this.relayLink = new RelayLink(o.relayUrl, o.budget, this.cache, stores, this.epochs, this.refused, (path) => this.urlOf(path), {
      // Every store drops the whole batch before anything else runs: no reload sees half of it.
      updated: (files) => this.announce(Promise.all(stores.map((store) => store.updated(files))),
        files.map(({ path, hash }) => ({ source: 'modrelay', type: 'module:updated', url: this.urlOf(path), path, hash }))),
      removed: (paths) => this.announce(Promise.all(stores.map((store) => store.removed(paths))),
        paths.map((path) => ({ source: 'modrelay', type: 'module:removed', url: this.urlOf(path), path }))),
      status: () => void postToPages(this.status()),
      hello: (hello) => this.headers.relaySaid(hello.headers),
    });
    this.loads = new Loads(this.relayLink.loading);
  }

  /** The answer to a fetch event, or null for a request the worker leaves alone. `clientId`: the event's. */
  handle(request: Request, clientId = ''): Handled | null {
    const route = routeOf(request, this.options.scope, this.options.extensions, self.location.pathname);
    if (!route) return null;
    this.loads.fetched();
    if (route.kind !== 'page') {
      // What a page's window loads (not a Worker's: static routes do not reach a Worker's own requests).
      void this.clients.windowUrl(clientId).then((page) => {
        if (!page) return;
        this.cache.pages.asked(page, route.url);
        if (this.httpStore && ROUTED_DESTINATIONS.has(request.destination)) this.httpStore.answered(route.url);
      });
    } else {
      this.cache.pages.navigated(route.url);
    }
    if (route.kind !== 'page') return route.kind === 'range' ? fetchRange(this, request, route.url, route.path, route.range!) : fetchFile(this, request, route.url, route.path);
    const page = fetchPage(this, request, route.url, route.path);
    // A load is answered by one version: while a page loads through this worker it stays busy,
    // so a version that replaces it (client/versions.ts) activates between loads. Chromium
    // activates it the moment this one is idle, and a dedicated Worker created by a page in that
    // moment never got its script (test/browser/assets.test.ts).
    return this.httpStore ? { ...page, done: Promise.all([page.done, this.loads.done()]).then(() => undefined) } : page;
  }

  /** A file request the app's own router matched (the Workbox strategy): whole, or a byte range. */
  handleFile(request: Request): Handled {
    this.loads.fetched();
    const url = cacheKey(request.url);
    const range = request.headers.get('range');
    return range !== null ? fetchRange(this, request, url, relayPath(url), range) : fetchFile(this, request, url, relayPath(url));
  }

  message(event: ExtendableMessageEvent): void {
    onPageMessage(this, event);
  }

  // ─── FetchContext and PagesContext ───

  get budget(): number {
    return this.options.budget;
  }

  get scope(): string {
    return this.options.scope;
  }

  get extensions(): readonly string[] {
    return this.options.extensions;
  }

  get routed(): boolean {
    return this.options.routed;
  }

  get relay(): RelayAnswers {
    return this.relayLink.answers;
  }

  get link(): Link {
    return this.relayLink.link;
  }

  get connected(): boolean {
    return this.relayLink.connected;
  }

  confirm(path: FilePath, hash: Hash): void {
    this.relayLink.confirm(path, hash);
  }

  serves(path: FilePath): boolean {
    return hasExtension(path, this.options.extensions);
  }

  async offlinePage(url: string): Promise<Cached | undefined> {
    await this.httpStore?.loaded; // which files it copied, for the cache's `elsewhere`
    return this.cache.readPage(url, (urls) => this.httpStore?.holds(urls) ?? Promise.resolve(false));
  }

  pageLoaded(page: string, urls: readonly string[], first: boolean): void {
    // Files the page loaded before the worker controlled it are cached by `warm`: count them once they are.
    void this.warming.then(() => this.cache.pages.loaded(page, urls, first));
  }

  kick(): void {
    this.relayLink.kick();
  }

  status(): SwReplyTo<'status'> {
    return { source: 'modrelay', type: 'relay:status', ...this.relayLink.status(), workerVersion: __MODRELAY_VERSION__, store: this.storeStatus() };
  }

  /** Which store answers the pages' files, and why the fast path is not on (protocol/wire.ts `StoreStatus`); the relay hears of it too. */
  storeStatus(): StoreStatus {
    const { store, routed } = this.options;
    let status: StoreStatus;
    if (store === 'cache-storage') status = { store, state: 'off', answering: 'worker', reason: null };
    else if (!this.httpStore) status = { store, state: 'off', answering: 'worker', reason: this.routedVersions ? NO_STATIC_ROUTES : NOT_OWN_WORKER };
    else status = { store, ...this.httpStore.status(), answering: routed ? 'http-cache' : 'worker' };
    this.relayLink.tell(status);
    return status;
  }

  warm(urls: string[]): Promise<void> {
    const warming = warm(this, urls);
    this.warming = Promise.all([this.warming, warming]).then(() => undefined);
    return warming;
  }

  copyClient(): Promise<void> {
    return copyClient(self.location.origin);
  }

  // ─── helpers ───

  /** The absolute URL of a relay path (the URL the page imports it by, without a query). */
  private urlOf(path: FilePath): string {
    return new URL(path, self.location.origin).href;
  }

  /** The relay path of a file URL the HTTP-cache store may hold, or null. */
  private storePath(url: string): FilePath | null {
    if (!url.startsWith(this.options.scope) || !url.startsWith(self.location.origin)) return null;
    const path = relayPath(url);
    // Pages are never copied immutable: they stay network-first (fetch-page.ts).
    return path !== null && !path.startsWith(OWN_PATH_PREFIX) && this.serves(path) && extensionOf(path) !== '.html' ? path : null;
  }

  private announce(work: Promise<unknown>, messages: SwToPageMessage[]): void {
    this.announcements.announce(work, messages);
  }
}
