import type { Hash, Hello, ModulePath, ModuleRemoved, ModuleResponse, ModuleUpdated, SwToPageMessage } from '../protocol/wire.js';
import { after, deferred, type Deferred } from './deferred.js';
import { HttpStore, releaseLeftovers } from './http-store.js';
import { ModuleCache, type Verified } from './module-cache.js';
import { resolveOptions, type ModuleRelayOptions, type ResolvedOptions } from './options.js';
import { RelaySocket } from './relay-socket.js';
import { relayPath } from './route.js';
import { routable } from './static-routes.js';
import { reconcile, validate } from './validate.js';
import { verify } from './verify.js';

declare const self: ServiceWorkerGlobalScope;

/** Upper bound on the number of state changes one fetch waits through. */
const MAX_WAKEUPS = 8;
/** A push still flowing is awaited at most this many budgets past the deadline. */
const PUSH_GRACE = 4;
/** HTTP copies are confirmed in batches collected over this window. */
const CONFIRM_DELAY_MS = 50;
/**
 * At most this many edited modules of one `module:updated` batch are fetched ahead of the
 * next load; a branch switch touching thousands waits for the load (which asks with `deps`),
 * so its requests do not queue behind a refresh it may never need.
 */
const MAX_REFRESH = 32;

/**
 * The engine shared by our own sw.js and the Workbox strategy: one socket, one cache, the
 * validation state, pushed modules on their way, and the relay's broadcasts. One per worker.
 */
export class ModuleRelay {
  readonly options: ResolvedOptions;
  readonly cache: ModuleCache;
  readonly socket: RelaySocket<Promise<Verified | null>>;
  /** With `store: 'http-cache'`: the modules' copies in the browser's HTTP cache. */
  readonly httpStore: HttpStore | null;
  /** True once this worker checked its cache against the relay over the current link. */
  validated = false;
  /** URLs the relay refused (not under its root, …): network-first from now on. */
  readonly shellUrls = new Set<string>();
  private readonly refused = (url: string) => void this.shellUrls.add(url);
  /** Paths listed in a `push` whose frame is still on its way. */
  private expected = new Map<ModulePath, Deferred<Verified | null>>();
  /**
   * Pushed modules not yet asked for: their first answer during the load they were pushed
   * for says `relay`, not `cache`. A navigation starts a new load and clears it.
   */
  private unserved = new Set<ModulePath>();
  /**
   * Edited modules fetched ahead of the next load (see `refresh`): their first answer says
   * `relay` too. Unlike `unserved`, a navigation does not clear it — the reload that follows
   * an edit is the load they were fetched for.
   */
  private refreshed = new Set<ModulePath>();
  private changed = deferred<void>();
  private toConfirm = new Map<ModulePath, Hash>();
  private confirmTimer: ReturnType<typeof setTimeout> | undefined;
  /** Requests with `deps: true` not yet answered: their pushes may cover what comes next. */
  depsInFlight = 0;
  /** When the last module frame arrived: a burst still flowing is worth waiting for. */
  lastFrameAt = 0;
  /** Start of the current connection attempt: waits for it share one budget from here. */
  private attemptStarted = Date.now();
  private link = 0;
  /** Change notices go out in order, each after the HTTP-cache copies it concerns are replaced. */
  private announced: Promise<unknown> = Promise.resolve();

  constructor(options: ModuleRelayOptions = {}) {
    this.options = resolveOptions(options, self);
    this.cache = new ModuleCache(this.options.memoryBytes);
    // Without static routes every module fetch reaches this worker anyway: Cache Storage it is.
    this.httpStore = this.options.store === 'http-cache' && routable()
      ? new HttpStore((url) => this.storePath(url), (path, hash) => this.announce(undefined, [
        { source: 'modrelay', type: 'module:updated', url: this.urlOf(path), path, hash },
      ]))
      : null;
    if (!this.httpStore) void releaseLeftovers();
    this.socket = new RelaySocket(this.options.relayUrl, {
      ready: (hello) => this.onReady(hello),
      down: () => this.onDown(),
      module: (header, body) => this.onModule(header, body),
      updated: (message) => this.onUpdated(message),
      removed: (message) => this.onRemoved(message),
    });
  }

  /** The absolute URL of a relay path (the URL the page imports it by, without a query). */
  urlOf(path: ModulePath): string {
    return new URL(path, self.location.origin).href;
  }

  // ───────────── waiting, always bounded ─────────────

  /** Waits until `ready()` holds, the deadline passes, or the link is known down. */
  async waitFor(ready: () => boolean, deadline: number): Promise<boolean> {
    for (let i = 0; i < MAX_WAKEUPS; i++) {
      if (ready()) return true;
      if (this.socket.state === 'down') {
        if (!this.socket.kick()) return false;
        this.attemptStarted = Date.now();
      }
      const remaining = Math.min(deadline, this.attemptStarted + this.options.budget) - Date.now();
      if (remaining <= 0) return false;
      await Promise.race([this.changed.promise, after(remaining, undefined)]);
    }
    return ready();
  }

  waitValidated(deadline: number): Promise<boolean> {
    return this.waitFor(() => this.validated, deadline);
  }

  waitConnected(deadline: number): Promise<boolean> {
    return this.waitFor(() => this.socket.state === 'ready', deadline);
  }

  /**
   * Waits for a pushed module. Past the deadline it keeps waiting only while frames still
   * flow (one arrived within the budget) — a large burst can keep this worker busy longer
   * than the budget, and HTTP would add to that work — and never past `PUSH_GRACE` budgets.
   * Resolves 'late' when HTTP is the better bet.
   */
  async waitPush(push: Promise<Verified | null>, deadline: number): Promise<Verified | null | 'late'> {
    const { budget } = this.options;
    const cap = deadline + PUSH_GRACE * budget;
    for (let i = 0; i < MAX_WAKEUPS; i++) {
      const until = i === 0 ? deadline : Math.min(cap, this.lastFrameAt + budget);
      const result = await Promise.race([push, after(until - Date.now(), 'late' as const)]);
      if (result !== 'late') return result;
      if (Date.now() >= cap || Date.now() - this.lastFrameAt >= budget) return 'late';
    }
    return 'late';
  }

  /** A pushed module announced and not yet landed, if `url` is its canonical URL. */
  expectedAt(url: string, path: ModulePath): Promise<Verified | null> | undefined {
    return url === this.urlOf(path) ? this.expected.get(path)?.promise : undefined;
  }

  /** The relay path of a module URL the HTTP-cache store may hold, or null. */
  private storePath(url: string): ModulePath | null {
    if (!url.startsWith(this.options.scope) || !url.startsWith(self.location.origin)) return null;
    const path = relayPath(url);
    return path !== null && !path.startsWith('/@modrelay/') && this.isModulePath(path) ? path : null;
  }

  isModulePath(path: ModulePath): boolean {
    return this.options.extensions.some((ext) => path.endsWith(ext));
  }

  /**
   * Asks the relay to vouch for an HTTP copy: if its hash is current, the copy becomes a
   * validated `module` entry; otherwise it stays network-first (or goes, if stale). Copies
   * are collected for a moment and checked in one `manifest:check` (a fallback load can
   * land hundreds). Only while validated, so no broadcast about them can have been missed.
   */
  confirm(path: ModulePath, hash: Hash): void {
    if (!this.validated || !this.isModulePath(path)) return;
    this.toConfirm.set(path, hash);
    this.confirmTimer ??= setTimeout(() => this.flushConfirm(), CONFIRM_DELAY_MS);
  }

  private flushConfirm(): void {
    this.confirmTimer = undefined;
    const entries = Object.fromEntries(this.toConfirm);
    this.toConfirm.clear();
    const link = this.link;
    this.socket.request({ type: 'manifest:check', entries }).then((answer) => {
      if ('type' in answer && answer.type === 'manifest:status' && link === this.link) reconcile(this.cache, entries, answer, this.refused);
    }, () => undefined);
  }

  /** A page navigated: pushes not used by the previous load are plain cache entries now. */
  newLoad(): void {
    this.unserved.clear();
  }

  /** True the first time a pushed module is served (it came over the socket for this load). */
  takeUnserved(url: string, path: ModulePath): boolean {
    if (url !== this.urlOf(path)) return false;
    const pushed = this.unserved.delete(path);
    const refreshed = this.refreshed.delete(path);
    return pushed || refreshed;
  }

  /**
   * path → hash of every module copy this worker holds, sent as `have` so pushes skip them:
   * relay copies and HTTP copies alike, validated or not. The relay skips only a matching
   * hash, so an old copy still gets the new bytes; and a module that came over HTTP because
   * the link was slow to open is not pushed a second time (seen under load in the fault-proxy
   * suite: 9 modules travelled twice). Serving a copy still waits for validation.
   */
  have(): Record<ModulePath, Hash> {
    return this.cache.manifest((path) => this.isModulePath(path));
  }

  /** False when bytes were invalidated (edited, deleted) after they arrived. */
  current(v: Verified): boolean {
    return v.epoch === this.cache.epoch(v.path);
  }

  // ───────────── socket events ─────────────

  private notify(): void {
    const fired = this.changed;
    this.changed = deferred();
    fired.resolve();
    void this.post({
      source: 'modrelay', type: 'relay:status', connected: this.socket.state === 'ready', validated: this.validated,
    });
  }

  private onReady(_hello: Hello): void {
    const link = ++this.link;
    this.attemptStarted = Date.now();
    this.notify();
    void Promise.all([
      validate(this.cache, this.socket, (path) => this.isModulePath(path), this.refused),
      this.httpStore?.check(this.socket) ?? true,
    ]).then(([cacheOk, storeOk]) => {
      if (link !== this.link || this.socket.state !== 'ready') return;
      this.validated = cacheOk && storeOk;
      this.notify();
    });
  }

  private onDown(): void {
    this.link++;
    this.validated = false;
    for (const waiting of this.expected.values()) waiting.resolve(null);
    this.expected.clear();
    this.notify();
  }

  private onModule(header: ModuleResponse, body: Uint8Array): Promise<Verified | null> {
    this.lastFrameAt = Date.now();
    // Synchronous part first: the pushed frames follow this one on the wire.
    for (const path of header.push ?? []) if (!this.expected.has(path)) this.expected.set(path, deferred());
    const verified = verify(header, body, this.cache.epoch(header.path));
    if (header.id === undefined) {
      this.unserved.add(header.path);
      const waiting = this.expected.get(header.path);
      waiting?.resolve(verified);
      void verified
        .then((v) => (v ? this.cache.put(this.urlOf(v.path), v, 'relay', 'module') : false))
        .finally(() => { if (this.expected.get(header.path) === waiting) this.expected.delete(header.path); });
    }
    return verified;
  }

  private onUpdated({ modules }: ModuleUpdated): void {
    // The whole batch is evicted before anything else runs: no reload sees half of it.
    const stale: string[] = [];
    const used: ModulePath[] = [];
    for (const { path, hash } of modules) {
      this.cache.touch(path);
      for (const url of this.cache.urlsOf(path)) if (this.cache.get(url)!.hash !== hash) stale.push(url);
      const canonical = this.cache.get(this.urlOf(path));
      if (canonical?.kind === 'module' && canonical.hash !== hash) used.push(path);
      this.dropExpected(path);
    }
    this.cache.evict(stale);
    if (used.length <= MAX_REFRESH) for (const path of used) this.refresh(path);
    this.announce(this.httpStore?.update(modules), modules.map(({ path, hash }) => (
      { source: 'modrelay', type: 'module:updated', url: this.urlOf(path), path, hash }
    )));
  }

  private onRemoved({ paths }: ModuleRemoved): void {
    const stale: string[] = [];
    for (const path of paths) {
      this.cache.touch(path);
      stale.push(...this.cache.urlsOf(path));
      this.dropExpected(path);
    }
    this.cache.evict(stale);
    this.announce(this.httpStore?.remove(paths), paths.map((path) => (
      { source: 'modrelay', type: 'module:removed', url: this.urlOf(path), path }
    )));
  }

  /**
   * Posts change notices once `work` (replacing HTTP-cache copies) is done, so a page that
   * reloads on the notice imports the new code; notices keep the relay's order.
   */
  private announce(work: Promise<void> | undefined, messages: SwToPageMessage[]): void {
    this.announced = Promise.all([this.announced, work]).catch(() => undefined).then(async () => {
      await this.post(...messages);
    });
  }

  /**
   * Fetches the new version of an edited module the page was using, now, instead of during
   * the reload that usually follows: a reload keeps this worker busy with hundreds of
   * fetch events, and the edited module's relay answer then missed the budget and went to
   * HTTP (docs/performance.md, observation 3). A fetch for it meanwhile waits for this
   * answer like for a push (`expectedAt`); a newer edit drops it (`dropExpected`, epochs).
   */
  private refresh(path: ModulePath): void {
    if (this.socket.state !== 'ready' || this.expected.has(path)) return;
    const waiting = deferred<Verified | null>();
    this.expected.set(path, waiting);
    const landed = (v: Verified | null) => {
      waiting.resolve(v);
      if (this.expected.get(path) === waiting) this.expected.delete(path);
    };
    this.socket.request({ type: 'module:request', path }).then(
      async (reply) => {
        const v = 'frame' in reply ? await reply.frame : null;
        if (!v || !this.current(v)) return landed(null);
        this.refreshed.add(path);
        landed(v);
        await this.cache.put(this.urlOf(path), v, 'relay', 'module');
      },
      () => landed(null),
    );
  }

  private dropExpected(path: ModulePath): void {
    this.expected.get(path)?.resolve(null);
    this.expected.delete(path);
  }

  /** Forwards to every window of this origin, controlled or not (the first visit is not). */
  private async post(...messages: SwToPageMessage[]): Promise<void> {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    for (const client of windows) for (const message of messages) client.postMessage(message);
  }
}
