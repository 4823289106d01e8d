import type { FilePath, Hash, ModuleUpdated } from '../../protocol/wire.js';
import type { HttpCacheState } from '../../protocol/page-messages.js';
import type { Store, Verdict } from '../cache/store.js';
import { after } from '../kit/deferred.js';
import type { Epochs } from '../kit/epochs.js';
import { browserIo, Copies, type CopyIo } from './copies.js';

/** Why the store cannot engage behind a server that does not follow protocol/http-cache.ts. */
const IGNORED = 'the HTTP server answers the x-modrelay-store request header without `immutable`, so the browser\'s HTTP cache cannot hold verified copies; '
  + '`modrelay serve` does, and so do `modrelay/middleware` and the Caddy lines in docs/integration.md';

/** What the store needs of the worker. */
export interface HttpCacheStoreParts {
  /** The relay path of a URL this store may copy, or null. */
  pathOf(url: string): FilePath | null;
  /** Paths the relay does not serve (shared with the engine). */
  refused: Set<FilePath>;
  /** Hears of a copy found without a record (announced to pages like an edit). */
  untracked(path: FilePath, hash: Hash): void;
  /** Whether the relay's sha-256 of `path` is `hash` (null: it cannot tell now, e.g. the link is down). */
  verify(url: string, path: FilePath, hash: Hash): Promise<boolean | null>;
  /** This is the routed version: the pages' file loads are answered by the HTTP cache. */
  routed: boolean;
  /** The browser's HTTP cache and IndexedDB (copies.ts); unit tests pass their own. */
  io?: CopyIo;
}

/** A page reports at most this many URLs per message. */
const MAX_REPORTED = 20_000;
/** A report waits at most this long for its copies to reach a state other than `pending`. */
const REPORT_WAIT_MS = 20_000;

/**
 * `store: 'http-cache'`, the default store: the browser's HTTP cache holds the files, so a warm
 * reload is the browser's own cache (V8's code cache included) and no file fetch reaches this
 * worker once the routed version runs (static-routes.ts). README.md in this folder has the
 * state diagram; the copies and their invariant are copies.ts. This class is what the rest of
 * the worker sees: a `Store` for validation and change notices, `answered` for every script the
 * worker answered, `report` for a page's report of what it loaded, `prepare` before a page imports.
 */
export class HttpCacheStore implements Store {
  private readonly copies: Copies;
  /** Page scripts this worker answered that no report has covered yet: not `ready` before they are copied. */
  private readonly owed = new Set<string>();
  readonly loaded: Promise<void>;

  private readonly pathOf: HttpCacheStoreParts['pathOf'];
  private readonly refused: Set<FilePath>;
  private readonly untracked: HttpCacheStoreParts['untracked'];
  private readonly routed: boolean;
  private readonly io: CopyIo;

  constructor(epochs: Epochs, parts: HttpCacheStoreParts) {
    ({ pathOf: this.pathOf, refused: this.refused, untracked: this.untracked, routed: this.routed, io: this.io = browserIo() } = parts);
    this.copies = new Copies(epochs, parts.verify, this.io);
    this.loaded = this.copies.loaded;
  }

  /**
   * A page's script that this worker answered (from Cache Storage or the relay), at its URL
   * without the fragment: the routed version would send it to the HTTP cache, so it must be
   * copied first. Without this, a report made before the app imported (only its boot files)
   * would switch a page whose next load then fetches the rest from the server. The next report
   * copies it whether the page listed it or not (a page does not see what a Worker it started
   * loaded, nor URLs with a fragment as it asked for them).
   */
  answered(url: string): void {
    // Runs on every script fetch event: the map lookups first, the URL parsing only for a new URL.
    if (this.copies.get(url) || this.owed.has(url)) return;
    const path = this.pathOf(url);
    if (path !== null && !this.refused.has(path)) this.owed.add(url);
  }

  /**
   * A page's report of the files it loaded over HTTP (`store:seen`): copies each one not
   * tracked yet, and resolves with the store's state once no copy is in flight — `ready`
   * (switch to the routed version), `unsupported` (switch back), or `pending`, waited on
   * (bounded) while copies retry, unless scripts the worker answered are still owed (only
   * another report can cover them). `fromCache`: the ones that came from a cache with no
   * request at all; our `no-cache` answers always make a request, so such a URL had an
   * `immutable` copy nobody tracks (its records were cleared, e.g. by DevTools, while the HTTP
   * cache kept it): the page may have run old code, so once the fresh copy is recorded
   * `untracked` announces it like an edit.
   */
  async report(urls: readonly string[], fromCache: ReadonlySet<string>): Promise<HttpCacheState> {
    await this.adopt([...urls, ...this.owed], fromCache);
    const until = Date.now() + REPORT_WAIT_MS;
    for (;;) {
      await this.copies.settled();
      const state = this.state();
      if (state !== 'pending' || this.owed.size > 0 || Date.now() >= until) return state;
      await Promise.race([this.copies.changes(), after(until - Date.now(), undefined)]);
    }
  }

  /**
   * Before a page imports: without the relay's word (`validated` false: down or slow) every
   * copy is revalidated over HTTP (304s); then waits until no copy is being replaced. Resolves
   * with the URLs whose copy changed since `since`, which the page evicts from Blink's memory cache.
   */
  async prepare(validated: boolean, since: number): Promise<string[]> {
    if (!validated) await this.revalidate();
    await this.copies.settled();
    return this.copies.changedSince(since);
  }

  manifest(): Record<FilePath, Hash> {
    const sent: Record<FilePath, Hash> = {};
    for (const [, copy] of this.copies.all()) if (copy.hash !== null) sent[copy.path] = copy.hash;
    return sent;
  }

  /**
   * Copies again what changed or is unknown, releases what the relay no longer serves.
   * Resolves once the releases are done and the copies are under way: a copy the verdict
   * gives no hash for (an unknown one, or one already running) asks the relay to verify it,
   * which waits for the very validation this is part of. Pages wait for the copies instead
   * (`prepare`).
   */
  async apply(verdict: Verdict): Promise<void> {
    const releases: Promise<void>[] = [];
    for (const [url, copy] of [...this.copies.all()]) {
      if (copy.hash === null) void this.copies.copy(url, copy.path, 'reload', verdict.covers(copy.path) ? verdict.current(copy.path) : undefined);
      else if (!verdict.covers(copy.path)) continue; // recorded after the snapshot: current
      else if (verdict.removed(copy.path)) {
        this.refused.add(copy.path);
        releases.push(this.copies.release(url, copy.path));
      } else if (copy.hash !== verdict.current(copy.path)) {
        void this.copies.copy(url, copy.path, 'reload', verdict.current(copy.path));
      }
    }
    await Promise.all(releases);
  }

  /** Replaces the changed files' copies. Resolves once every copy is current (or unknown). */
  async updated(files: ModuleUpdated['modules']): Promise<void> {
    await this.loaded;
    const jobs: Promise<void>[] = [];
    for (const { path, hash } of files) {
      for (const [url, copy] of this.copies.all()) if (copy.path === path && copy.hash !== hash) jobs.push(this.copies.copy(url, path, 'reload', hash, true));
    }
    await Promise.all(jobs);
  }

  async removed(paths: readonly FilePath[]): Promise<void> {
    await this.loaded;
    const gone = new Set(paths);
    await Promise.all([...this.copies.all()].filter(([, copy]) => gone.has(copy.path)).map(([url, copy]) => this.copies.release(url, copy.path)));
  }

  /** The state alone (see `status`). */
  private state(): HttpCacheState {
    return this.status().state;
  }

  /**
   * `ready`: every copy is recorded with a verified hash and none is being made, so the
   * pages may switch to the routed version; `unsupported`: the server ignores the store
   * header (or IndexedDB failed), so they stay on (or go back to) the worker-answered path;
   * `pending`: copies are still being made or could not be verified yet. `reason` says why
   * it is not `ready`, in words a developer can act on.
   */
  status(): { state: HttpCacheState; reason: string | null } {
    const copies = this.copies;
    if (copies.server === 'ignores') return { state: 'unsupported', reason: IGNORED };
    if (!copies.durable) return { state: 'unsupported', reason: 'IndexedDB is not available here (a private window?): copies could not be tracked' };
    if (this.owed.size > 0) return { state: 'pending', reason: `${this.owed.size} file(s) this worker answered are not copied yet: ${[...this.owed].slice(0, 3).map((url) => new URL(url).pathname).join(', ')}` };
    if (copies.size === 0 || copies.server === 'unknown') return { state: 'pending', reason: 'no page has reported what it loaded yet' };
    if (copies.busy) return { state: 'pending', reason: 'copies are being made' };
    let unknown = 0;
    for (const [, copy] of copies.all()) if (copy.hash === null) unknown++;
    if (unknown > 0) return { state: 'pending', reason: `${unknown} copie(s) the relay has not vouched for yet` };
    return { state: 'ready', reason: null };
  }

  /** Copies every reported URL not tracked yet; the first answer tells whether the server honours the header at all. */
  private async adopt(urls: readonly string[], fromCache: ReadonlySet<string>): Promise<void> {
    await this.loaded;
    const jobs: Promise<void>[] = [];
    for (const url of urls.slice(0, MAX_REPORTED)) {
      const path = this.pathOf(url);
      this.owed.delete(url);
      if (!this.copies.durable || this.copies.server === 'ignores') break;
      if (path === null || this.refused.has(path)) continue;
      const known = this.copies.get(url);
      // A routed page loaded a file it has a copy of, not from the HTTP cache: the browser lost
      // that copy (evicted, or a crash before it reached the disk). Copy it again.
      if (known?.hash && this.routed && !fromCache.has(url)) jobs.push(this.copies.copy(url, path, 'reload', undefined));
      if (known) continue;
      const job = this.copies.copy(url, path).then(() => {
        const hash = this.copies.get(url)?.hash;
        if (fromCache.has(url) && hash) this.untracked(path, hash);
      });
      if (this.copies.server === 'unknown') await job;
      jobs.push(job);
    }
    await Promise.all(jobs);
  }

  /** Whether the HTTP cache holds a verified copy of `url` that this store made. */
  tracks(url: string): boolean {
    return typeof this.copies.get(url)?.hash === 'string';
  }

  /**
   * Whether the HTTP cache answers every one of `urls` with the network gone: a routed page
   * opened offline takes its files from there, and a browser that crashed may have lost some
   * before they reached the disk.
   */
  async holds(urls: readonly string[]): Promise<boolean> {
    const held = await Promise.all(urls.map((url) => this.io.cached(url)));
    return held.every(Boolean);
  }

  /** The relay could not vouch (down, slow): revalidate every copy over HTTP instead (304s). */
  private async revalidate(): Promise<void> {
    await this.loaded;
    await Promise.all([...this.copies.all()].map(([url, copy]) => this.copies.copy(url, copy.path, 'no-cache')));
  }
}
