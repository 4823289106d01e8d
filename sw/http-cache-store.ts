import { entries } from 'idb-keyval';
import type { Hash, HttpCacheState, ModulePath, ModuleUpdated } from '../protocol/wire.js';
import type { Epochs } from './epochs.js';
import { recordsStore, type HttpCopy } from './http-cache-records.js';
import { fetchCopy, releaseCopy } from './http-copy.js';
import { IdbBatch } from './idb-batch.js';
import { Limiter } from './limiter.js';
import type { Store } from './store.js';
import type { Verdict } from './validation.js';

/** HTTP requests of the store in flight at once: a first visit reports hundreds of modules. */
const CONCURRENCY = 16;
/** A file still changing after this many copies stays unknown; the next check copies it again. */
const MAX_ATTEMPTS = 3;
/** A page reports at most this many URLs per message. */
const MAX_ADOPT = 20_000;

/** Whether the HTTP server follows protocol/http-cache.ts, as its answers to our copies show. */
type Server = 'unknown' | 'honours' | 'ignores';

/**
 * `store: 'http-cache'`: the browser's HTTP cache holds the modules, so a warm reload is the
 * browser's own cache (V8's code cache included) and no module fetch reaches this worker
 * (once the routed version runs: static routes send them to the network, see
 * static-routes.ts). Correctness rests on one invariant: **every immutable copy is recorded
 * here, with the hash of its bytes once the relay vouched for them.** Copies only become
 * immutable through `copy` (the server answers `immutable` to our header only), which
 * records the URL as unknown *before* fetching and its hash only after `verify` matched it
 * with the relay's sha-256 (a broken copy is fetched again, never recorded); the relay then
 * vouches for the hashes like for Cache Storage (validation.ts, on every start and
 * reconnect), and an edit replaces the copy (`updated`) before pages hear of it. To drop a
 * copy (`release`), fetch it without the header: the `no-cache` answer (or a 404,
 * `no-store`) replaces the immutable one. A server that ignores the header makes no
 * immutable copy: nothing is recorded and the pages stay on the worker-answered path.
 */
export class HttpCacheStore implements Store<HttpCopy, [path: ModulePath]> {
  private copies = new Map<string, HttpCopy>();
  private running = new Map<string, Promise<void>>();
  /** Page scripts this worker answered that no report has covered yet: not `ready` before they are copied. */
  private owed = new Set<string>();
  /** url → when its copy was released (the record is gone, so `changed` cannot say it). */
  private releasedAt = new Map<string, number>();
  /**
   * Files being edited: their record in IndexedDB says unknown (written before the first
   * edit's copy and left so), while this worker knows each copy's hash. The next edit's copy
   * then has no IndexedDB write to wait for before its fetch, 2–6 ms of a hot update; a
   * worker that starts again copies these files once more.
   */
  private unknownOnDisk = new Set<string>();
  private idb = recordsStore();
  private records = new IdbBatch<HttpCopy>(this.idb);
  private limit = new Limiter(CONCURRENCY);
  /** False once IndexedDB failed: an untracked copy could outlive this worker, so copy nothing new. */
  private durable = true;
  private server: Server = 'unknown';
  readonly loaded: Promise<void>;

  /**
   * `pathOf`: the relay path of a URL this store may copy, or null; `refused`: paths the
   * relay does not serve (shared with the engine); `untracked`: hears of a copy found
   * without a record (announced to pages like an edit); `verify`: whether the relay's
   * sha-256 of `path` is `hash` (null: it cannot tell now, e.g. the link is down).
   */
  constructor(
    private readonly epochs: Epochs,
    private readonly pathOf: (url: string) => ModulePath | null,
    private readonly refused: Set<ModulePath>,
    private readonly untracked: (path: ModulePath, hash: Hash) => void,
    private readonly verify: (url: string, path: ModulePath, hash: Hash) => Promise<boolean | null>,
  ) {
    this.loaded = this.idb.then((store) => entries<string, HttpCopy>(store)).then(
      (rows) => { for (const [url, copy] of rows) if (!this.copies.has(url)) this.copies.set(url, copy); },
      () => { this.durable = false; }, // no IndexedDB (private mode): modules stay plain HTTP
    );
  }

  get(url: string): HttpCopy | undefined {
    return this.copies.get(url);
  }

  /** Copies `url` into the HTTP cache; true once its hash is recorded. */
  async put(url: string, path: ModulePath): Promise<boolean> {
    await this.copy(url, path);
    return typeof this.copies.get(url)?.hash === 'string';
  }

  evict(urls: readonly string[]): void {
    for (const url of urls) {
      const copy = this.copies.get(url);
      if (copy) void this.release(url, copy.path);
    }
  }

  /**
   * A page's script that this worker answered (from Cache Storage or the relay): the routed
   * version would send it to the HTTP cache, so it must be copied first. Without this, a
   * report made before the app imported (only its boot files) would switch a page whose next
   * load then fetches the rest from the server.
   */
  owe(url: string): void {
    // Runs on every script fetch event: the map lookups first, the URL parsing only for a new URL.
    if (this.copies.has(url) || this.owed.has(url)) return;
    const path = this.pathOf(url);
    if (path !== null && !this.refused.has(path)) this.owed.add(url);
  }

  /** Scripts owed: only another report can make the store `ready`, so waiting for it is pointless. */
  owes(): boolean {
    return this.owed.size > 0;
  }

  /**
   * Module URLs a page loaded over HTTP: copy each one not tracked yet. `fromCache`: the ones
   * it got from a cache with no request at all. Our `no-cache` answers always make a request,
   * so such a URL had an `immutable` copy nobody tracks (its records were cleared, e.g. by
   * DevTools, while the HTTP cache kept it): the page may have run old code, so once the
   * fresh copy is recorded `untracked` announces it like an edit.
   */
  async adopt(urls: readonly string[], fromCache: ReadonlySet<string>): Promise<void> {
    await this.loaded;
    const jobs: Promise<void>[] = [];
    for (const url of urls.slice(0, MAX_ADOPT)) {
      const path = this.pathOf(url);
      this.owed.delete(url);
      if (!this.durable || this.server === 'ignores') break;
      if (path === null || this.copies.has(url) || this.refused.has(path)) continue;
      const job = this.copy(url, path).then(() => {
        const hash = this.copies.get(url)?.hash;
        if (fromCache.has(url) && hash) this.untracked(path, hash);
      });
      // The first answer tells whether the server honours the header at all.
      if (this.server === 'unknown') await job;
      jobs.push(job);
    }
    await Promise.all(jobs);
  }

  /**
   * `ready`: every copy is recorded with a verified hash and none is being made, so the
   * pages may switch to the routed version; `unsupported`: the server ignores the store
   * header (or IndexedDB failed), so they stay on (or go back to) the worker-answered path;
   * `pending`: copies are still being made or could not be verified yet.
   */
  state(): HttpCacheState {
    if (this.server === 'ignores' || !this.durable) return 'unsupported';
    if (this.server !== 'honours' || this.running.size > 0 || this.copies.size === 0 || this.owed.size > 0) return 'pending';
    for (const copy of this.copies.values()) if (copy.hash === null) return 'pending';
    return 'ready';
  }

  manifest(): Record<ModulePath, Hash> {
    const sent: Record<ModulePath, Hash> = {};
    for (const copy of this.copies.values()) if (copy.hash !== null) sent[copy.path] = copy.hash;
    return sent;
  }

  /**
   * Copies again what changed or is unknown, releases what the relay no longer serves.
   * Resolves once the releases are done and the copies are under way: a copy the verdict
   * gives no hash for (an unknown one, or one already running) asks the relay to verify it,
   * which waits for the very validation this is part of. Pages wait for the copies instead
   * (`settled`, in `store:prepare`): each one is in `running` by now.
   */
  async apply(verdict: Verdict): Promise<void> {
    const releases: Promise<void>[] = [];
    for (const [url, copy] of this.copies) {
      if (copy.hash === null) void this.copy(url, copy.path, 'reload', verdict.covers(copy.path) ? verdict.current(copy.path) : undefined);
      else if (!verdict.covers(copy.path)) continue; // recorded after the snapshot: current
      else if (verdict.removed(copy.path)) {
        this.refused.add(copy.path);
        releases.push(this.release(url, copy.path));
      } else if (copy.hash !== verdict.current(copy.path)) {
        void this.copy(url, copy.path, 'reload', verdict.current(copy.path));
      }
    }
    await Promise.all(releases);
  }

  /** The relay could not vouch (down, slow): revalidate every copy over HTTP instead (304s). */
  async revalidate(): Promise<void> {
    await this.loaded;
    await Promise.all([...this.copies].map(([url, copy]) => this.copy(url, copy.path, 'no-cache')));
  }

  /** Replaces the changed files' copies. Resolves once every copy is current (or unknown). */
  async updated(modules: ModuleUpdated['modules']): Promise<void> {
    await this.loaded;
    const jobs: Promise<void>[] = [];
    for (const { path, hash } of modules) {
      for (const [url, copy] of this.copies) if (copy.path === path && copy.hash !== hash) jobs.push(this.copy(url, path, 'reload', hash, true));
    }
    await Promise.all(jobs);
  }

  async removed(paths: readonly ModulePath[]): Promise<void> {
    await this.loaded;
    const gone = new Set(paths);
    await Promise.all([...this.copies].filter(([, copy]) => gone.has(copy.path)).map(([url, copy]) => this.release(url, copy.path)));
  }

  /** Resolves when no copy is being replaced: what a page imports next is then current. */
  async settled(): Promise<void> {
    for (let i = 0; i < MAX_ATTEMPTS && this.running.size > 0; i++) await Promise.all(this.running.values());
  }

  /** URLs whose bytes changed (or were released) at or after `since`. */
  changedSince(since: number): string[] {
    const urls = new Set<string>();
    for (const [url, copy] of this.copies) if (copy.changed >= since) urls.add(url);
    for (const [url, at] of this.releasedAt) if (at >= since) urls.add(url);
    return [...urls];
  }

  /**
   * Fetches `url` with our header so the HTTP cache keeps an immutable copy, and records
   * its hash. A change of the file during the fetch (its epoch moved) fetches again.
   * `no-cache` revalidates (a 304 when current); `reload` always takes a fresh copy.
   * `expected`: the relay's sha-256 of the file, when the caller has it (a validation's
   * verdict, a change broadcast); otherwise the copy is verified with the relay. `edit`: the
   * file changed under a page, and its record stays unknown in IndexedDB (`unknownOnDisk`).
   */
  private copy(url: string, path: ModulePath, mode: RequestCache = 'reload', expected?: Hash, edit = false): Promise<void> {
    const running = this.running.get(url);
    if (running) return running; // it fetches again if the file changed meanwhile
    const job = this.copyOnce(url, path, mode, expected, edit).finally(() => this.running.delete(url));
    this.running.set(url, job);
    return job;
  }

  private async copyOnce(url: string, path: ModulePath, mode: RequestCache, expected: Hash | undefined, edit: boolean): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const epoch = this.epochs.of(path);
      const before = this.copies.get(url);
      // Unknown before the HTTP cache can change. A first copy takes the bytes the page just
      // loaded (a later edit is announced to it); a copy unknown before counts as changed.
      const changed = before === undefined ? 0 : before.hash !== null ? before.changed : Date.now();
      const unknown: HttpCopy = { path, hash: null, at: Date.now(), changed };
      if (this.unknownOnDisk.has(url)) this.copies.set(url, unknown);
      else {
        await this.record(url, unknown);
        this.unknownOnDisk.add(url);
      }
      const result = await this.limit.run(() => fetchCopy(url, attempt === 0 ? mode : 'reload'));
      if (result.kind === 'offline') return this.record(url, before ?? null);
      if (result.kind === 'ignored') {
        this.server = 'ignores';
        return this.record(url, null);
      }
      if (result.kind === 'gone') return this.record(url, null);
      if (result.kind === 'broken') continue;
      this.server = 'honours';
      if (this.epochs.of(path) !== epoch) continue;
      // The same bytes as the recorded copy (a revalidation's 304): vouched for already.
      const verified = before?.hash === result.hash || (expected !== undefined && epoch === this.epochs.of(path)
        ? result.hash === expected : await this.verify(url, path, result.hash));
      if (verified === false || this.epochs.of(path) !== epoch) continue; // a bad copy, or the file changed
      const now = Date.now();
      // A first copy has the bytes the page just loaded itself: nothing to evict. Unverified
      // (the relay cannot answer now), it stays unknown, and the next check copies it again.
      // Not waited for: until it is in IndexedDB the durable record says unknown (written
      // above, before the fetch), which a restarted worker copies again. An edit's copy is not
      // written at all (`unknownOnDisk`), so its notice waits for no IndexedDB commit.
      const copied = { path, hash: verified ? result.hash : null, at: now, changed: before?.hash && before.hash !== result.hash ? now : changed };
      if (edit) this.copies.set(url, copied); // IndexedDB keeps saying unknown: see unknownOnDisk
      else void this.record(url, copied);
      return;
    }
    // Still wrong after every attempt: leave no immutable copy the relay does not vouch for.
    await this.release(url, path);
  }

  /** Replaces an immutable copy with the server's plain `no-cache` answer, then forgets it. */
  private async release(url: string, path: ModulePath): Promise<void> {
    await this.record(url, { path, hash: null, at: Date.now(), changed: Date.now() });
    if (!(await this.limit.run(() => releaseCopy(url)))) return; // offline: stays unknown, copied or released at the next chance
    this.releasedAt.set(url, Date.now());
    await this.record(url, null);
  }

  /** Sets (or, with null, deletes) a record; resolves once it is in IndexedDB. */
  private record(url: string, copy: HttpCopy | null): Promise<void> {
    if (copy) this.copies.set(url, copy);
    else this.copies.delete(url);
    this.unknownOnDisk.delete(url);
    return this.records.write(url, copy).catch((error: unknown) => {
      this.durable = false;
      console.warn('modrelay: recording HTTP-cache copies failed; modules stay plain HTTP', error);
    });
  }
}
