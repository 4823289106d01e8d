import { OWN_PATH_PREFIX } from '../protocol/defaults.js';
import { extensionOf } from '../protocol/file-types.js';
import type { Hash, Hello, ModulePath, ModuleRemoved, ModuleUpdated, RelayState, SwToPageMessage } from '../protocol/wire.js';
import { CacheStorageStore } from './cache-storage-store.js';
import { after } from './deferred.js';
import { Epochs } from './epochs.js';
import { releaseLeftovers } from './http-cache-records.js';
import { HttpCacheStore } from './http-cache-store.js';
import type { Verified } from './integrity.js';
import { Link } from './link.js';
import { resolveOptions, type ModuleRelayOptions, type ResolvedOptions } from './options.js';
import { loadsDone } from './loads.js';
import { Announcements, postToPages } from './pages.js';
import { Pushes } from './pushes.js';
import { RelayAnswers } from './relay-answers.js';
import { RelaySocket } from './relay-socket.js';
import { diagnose } from './relay-state.js';
import { relayPath } from './route.js';
import { routable } from './static-routes.js';
import type { AnyStore } from './store.js';
import { Confirmations, validate } from './validation.js';

declare const self: ServiceWorkerGlobalScope;
/** The version this worker was built as (vite.config.ts). */
declare const __MODRELAY_VERSION__: string;

/**
 * At most this many edited modules of one `module:updated` batch are fetched ahead of the
 * next load; a branch switch touching thousands waits for the load (which asks with `deps`),
 * so its requests do not queue behind a refresh it may never need.
 */
const MAX_REFRESH = 32;
/** The relay's status is asked at most this often while the link stays down. */
const DIAGNOSE_MS = 1000;
/** Validations of one link, when its `manifest:check` goes unanswered. */
const VALIDATE_ATTEMPTS = 3;
/** A copy asks the relay up to VERIFY_ATTEMPTS times, each after waiting at most VERIFY_POLLS × VERIFY_POLL_MS for the link's validation. */
const VERIFY_ATTEMPTS = 3;
const VERIFY_POLLS = 40;
const VERIFY_POLL_MS = 250;

/**
 * The engine shared by our own sw.js and the Workbox strategy, one per worker: it owns the
 * socket, the stores and the link state, and turns the relay's events into store changes and
 * page notices. Fetches use its parts directly (fetch-module.ts); this file only wires them.
 */
export class Engine {
  readonly options: ResolvedOptions;
  readonly epochs = new Epochs();
  /** Paths the relay does not serve (not under its root, …): network-first from now on. */
  readonly refused = new Set<ModulePath>();
  readonly cache: CacheStorageStore;
  /**
   * With `store: 'http-cache'`, in modrelay's own worker (its routed version can replace it)
   * and with the static routing API: the modules' copies in the browser's HTTP cache.
   */
  readonly httpStore: HttpCacheStore | null;
  readonly socket: RelaySocket<Promise<Verified | null>>;
  readonly link: Link;
  readonly pushes: Pushes;
  readonly relay: RelayAnswers;
  readonly confirmations: Confirmations;
  /** When this worker last had a fetch event (copies wait for the page's loads to end). */
  lastFetchAt = 0;
  private readonly stores: AnyStore[];
  private readonly announcements = new Announcements();
  /** What the page is told about the link (relay:status). */
  private relayState: RelayState = 'connecting';
  private relayVersion: string | null = null;
  private diagnosedAt = 0;

  /** `ownWorker`: this is modrelay's sw.js, which a routed version can replace (not a Workbox strategy). */
  constructor(options: ModuleRelayOptions = {}, ownWorker = false) {
    const o = (this.options = resolveOptions(options, self));
    const isModule = (path: ModulePath) => this.serves(path);
    this.cache = new CacheStorageStore(o.memoryBytes, this.epochs, isModule, this.refused, () => loadsDone(this));
    // Without static routes every module fetch reaches this worker anyway: Cache Storage it is.
    this.httpStore = o.store === 'http-cache' && ownWorker && routable()
      ? new HttpCacheStore(this.epochs, (url) => this.storePath(url), this.refused, (path, hash) => this.announce(Promise.resolve(), [
        { source: 'modrelay', type: 'module:updated', url: this.urlOf(path), path, hash },
      ]), (url, path, hash) => this.verifyCopy(url, path, hash))
      : null;
    if (!this.httpStore) void releaseLeftovers();
    this.stores = this.httpStore ? [this.cache, this.httpStore] : [this.cache];
    this.socket = new RelaySocket(o.relayUrl, {
      ready: (hello) => this.onReady(hello),
      down: () => this.onDown(),
      stillDown: () => this.diagnose(),
      module: (header, body) => this.relay.received(header, body),
      updated: (message) => this.onUpdated(message),
      removed: (message) => this.onRemoved(message),
    });
    this.link = new Link(this.socket, o.budget, () => this.postStatus());
    this.pushes = new Pushes(o.budget, (path) => this.urlOf(path));
    this.relay = new RelayAnswers(this.socket, this.link, this.pushes, this.cache, this.epochs, this.refused, o.budget, (path) => this.urlOf(path));
    this.confirmations = new Confirmations(this.socket, [this.cache], () => this.link.live());
  }

  /** The absolute URL of a relay path (the URL the page imports it by, without a query). */
  urlOf(path: ModulePath): string {
    return new URL(path, self.location.origin).href;
  }

  serves(path: ModulePath): boolean {
    return this.options.extensions.some((ext) => path.endsWith(ext));
  }

  /** The relay path of a module URL the HTTP-cache store may hold, or null. */
  private storePath(url: string): ModulePath | null {
    if (!url.startsWith(this.options.scope) || !url.startsWith(self.location.origin)) return null;
    const path = relayPath(url);
    // Pages are never copied immutable: they stay network-first (fetch-page.ts).
    return path !== null && !path.startsWith(OWN_PATH_PREFIX) && this.serves(path) && extensionOf(path) !== '.html' ? path : null;
  }

  /**
   * Whether the relay's sha-256 of `path` is `hash`, for a copy made for the HTTP cache; null
   * when it cannot say. A page can report its files before this worker's validation finished
   * (a slow connect), and a check can go unanswered while the link recovers: both are waited
   * for, bounded, so the copy is not left unknown.
   */
  private async verifyCopy(url: string, path: ModulePath, hash: Hash): Promise<boolean | null> {
    for (let attempt = 0; attempt < VERIFY_ATTEMPTS; attempt++) {
      for (let i = 0; i < VERIFY_POLLS && !this.link.validated && this.socket.state !== 'down'; i++) await after(VERIFY_POLL_MS, undefined);
      const vouched = this.cache.get(url);
      // The relay sent these very bytes over the validated link (the page's first visit): no round trip.
      if (this.link.validated && vouched?.kind === 'module' && vouched.hash === hash) return true;
      const verified = await this.confirmations.verify(path, hash);
      if (verified !== null) return verified;
    }
    return null;
  }

  /** Tells every page how the link is (relay:status). */
  postStatus(): void {
    void postToPages({
      source: 'modrelay', type: 'relay:status', connected: this.socket.state === 'ready', validated: this.link.validated,
      state: this.relayState, relayVersion: this.relayVersion, workerVersion: __MODRELAY_VERSION__,
    });
  }

  private onReady(hello: Hello): void {
    this.relayState = 'connected';
    this.relayVersion = hello.version ?? null;
    void this.validateLink(this.link.up());
  }

  /** Validates link `id`; a check that failed while the link stays up is tried again, bounded. */
  private async validateLink(id: number): Promise<void> {
    for (let attempt = 0; attempt < VALIDATE_ATTEMPTS; attempt++) {
      const ok = await validate(this.stores, this.socket);
      this.link.settle(id, ok);
      if (ok || this.socket.state !== 'ready' || this.link.live() !== null) return;
    }
  }

  private onDown(): void {
    this.relayState = 'connecting';
    this.link.down();
    this.pushes.dropAll();
    this.diagnosedAt = 0; // a link that just dropped is asked about at once
    this.diagnose();
  }

  /** Asks the relay why the socket does not connect (sw/relay-state.ts); at most once per DIAGNOSE_MS. */
  private diagnose(): void {
    if (Date.now() - this.diagnosedAt < DIAGNOSE_MS) return;
    this.diagnosedAt = Date.now();
    void diagnose(this.options.relayUrl).then((state) => {
      if (this.socket.state === 'ready' || state === this.relayState) return;
      this.relayState = state;
      this.postStatus();
    });
  }

  private onUpdated({ modules }: ModuleUpdated): void {
    // Edited modules the page was using are fetched ahead of the reload (RelayAnswers.refresh).
    const used = modules.filter(({ path, hash }) => {
      const canonical = this.cache.get(this.urlOf(path));
      return canonical?.kind === 'module' && canonical.hash !== hash;
    });
    for (const { path } of modules) {
      this.invalidate(path);
      this.refused.delete(path); // the relay serves it now: it reported it
    }
    // Every store drops the whole batch before anything else runs: no reload sees half of it.
    const work = Promise.all(this.stores.map((store) => store.updated(modules)));
    if (used.length <= MAX_REFRESH) for (const { path } of used) this.relay.refresh(path);
    this.announce(work, modules.map(({ path, hash }) => ({ source: 'modrelay', type: 'module:updated', url: this.urlOf(path), path, hash })));
  }

  private onRemoved({ paths }: ModuleRemoved): void {
    for (const path of paths) this.invalidate(path);
    const work = Promise.all(this.stores.map((store) => store.removed(paths)));
    this.announce(work, paths.map((path) => ({ source: 'modrelay', type: 'module:removed', url: this.urlOf(path), path })));
  }

  /** Bytes on their way for `path` are stale now. */
  private invalidate(path: ModulePath): void {
    this.epochs.bump(path);
    this.pushes.drop(path);
  }

  private announce(work: Promise<unknown>, messages: SwToPageMessage[]): void {
    this.announcements.announce(work, messages);
  }
}
