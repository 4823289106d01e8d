import { createStore, delMany, entries, promisifyRequest, setMany, type UseStore } from 'idb-keyval';
import { STORE_HEADER, STORE_HTTP_CACHE } from '../protocol/http-store.js';
import type { Hash, ManifestStatus, ModulePath } from '../protocol/wire.js';
import { after } from './deferred.js';
import { sha256Hex } from './hash.js';
import type { RelaySocket } from './relay-socket.js';

/**
 * What IndexedDB `modrelay-http-cache` holds for each URL whose `immutable` copy the
 * browser's HTTP cache may hold (DevTools → Application → IndexedDB).
 */
export interface HttpCopy {
  path: ModulePath;
  /** sha-256 of the copy; null while it is unknown (a fetch that replaces it ran or failed). */
  hash: Hash | null;
  /** When it was recorded (ms since epoch). */
  at: number;
  /**
   * When its bytes last changed (0: never since first copied). A tab that loaded the old
   * bytes keeps them in Blink's memory cache, which outlives a reload; the page's client
   * evicts every URL changed since it last asked (see `changedSince`).
   */
  changed: number;
}

/** HTTP requests of the store in flight at once: a first visit reports hundreds of modules. */
const CONCURRENCY = 16;
/** A file still changing after this many copies stays unknown; the next check copies it again. */
const MAX_ATTEMPTS = 3;
/** A page reports at most this many URLs per message. */
const MAX_ADOPT = 20_000;
const DB_NAME = 'modrelay-http-cache';
const STORE_NAME = 'copies';
/** Deleting a database waits for every connection to close; never wait longer than this. */
const DELETE_TIMEOUT_MS = 2000;

/**
 * `store: 'http-cache'`: the browser's HTTP cache holds the modules, so a warm reload is the
 * browser's own cache (V8's code cache included) and no module fetch reaches this worker
 * (static routes send them to the network, see static-routes.ts). Correctness rests on one
 * invariant: **every immutable copy is recorded here with the hash of its bytes.** Copies
 * only become immutable through `copy` (the server answers `immutable` to our header only,
 * protocol/http-store.ts), which records the URL as unknown *before* fetching and its hash
 * after; the relay then vouches for the hashes like for Cache Storage (`check`, on every
 * start and reconnect), and an edit replaces the copy (`update`) before pages hear of it.
 * To drop a copy (`release`), fetch it without the header: the `no-cache` answer (or a 404,
 * `no-store`) replaces the immutable one.
 */
export class HttpStore {
  private copies = new Map<string, HttpCopy>();
  private epochs = new Map<ModulePath, number>();
  private running = new Map<string, Promise<void>>();
  /** url → when its copy was released (the record is gone, so `changed` cannot say it). */
  private releasedAt = new Map<string, number>();
  /** Paths the relay does not serve: it cannot vouch for them, so they stay plain HTTP. */
  private refused = new Set<ModulePath>();
  private idb = recordsStore();
  private batch = new Map<string, HttpCopy | null>();
  private flush: Promise<void> | undefined;
  private active = 0;
  private waiting: (() => void)[] = [];
  /** False once IndexedDB failed: an untracked copy could outlive this worker, so copy nothing new. */
  private durable = true;
  /** Records read once per worker start. */
  readonly loaded: Promise<void>;

  constructor(
    private readonly pathOf: (url: string) => ModulePath | null,
    private readonly untracked: (path: ModulePath, hash: Hash) => void,
  ) {
    this.loaded = this.idb.then((store) => entries<string, HttpCopy>(store)).then(
      (rows) => { for (const [url, copy] of rows) if (!this.copies.has(url)) this.copies.set(url, copy); },
      () => { this.durable = false; }, // no IndexedDB (private mode): modules stay plain HTTP
    );
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
    if (!this.durable) return;
    const jobs: Promise<void>[] = [];
    for (const url of urls.slice(0, MAX_ADOPT)) {
      const path = this.pathOf(url);
      if (path === null || this.copies.has(url) || this.refused.has(path)) continue;
      jobs.push(this.copy(url, path).then(() => {
        const hash = this.copies.get(url)?.hash;
        if (fromCache.has(url) && hash) this.untracked(path, hash);
      }));
    }
    await Promise.all(jobs);
  }

  /**
   * One `manifest:check` for every known copy, then copy again what changed or is unknown
   * and release what the relay no longer serves. Resolves false if the relay did not answer.
   */
  async check(socket: RelaySocket<unknown>): Promise<boolean> {
    await this.loaded;
    const sent: Record<ModulePath, Hash> = {};
    for (const copy of this.copies.values()) if (copy.hash !== null) sent[copy.path] = copy.hash;
    let status: ManifestStatus = { type: 'manifest:status', id: 0, changed: {}, removed: [] };
    if (Object.keys(sent).length > 0) {
      try {
        const answer = await socket.request({ type: 'manifest:check', entries: sent });
        if (!('type' in answer) || answer.type !== 'manifest:status') return false;
        status = answer;
      } catch {
        return false;
      }
    }
    const removed = new Set(status.removed);
    const jobs: Promise<void>[] = [];
    for (const [url, copy] of this.copies) {
      if (copy.hash === null) jobs.push(this.copy(url, copy.path));
      else if (!(copy.path in sent)) continue; // recorded after the snapshot: current
      else if (removed.has(copy.path)) {
        this.refused.add(copy.path);
        jobs.push(this.release(url, copy.path));
      } else if (copy.hash !== (status.changed[copy.path] ?? sent[copy.path])) {
        jobs.push(this.copy(url, copy.path));
      }
    }
    await Promise.all(jobs);
    return true;
  }

  /** The relay could not vouch (down, slow): revalidate every copy over HTTP instead (304s). */
  async revalidate(): Promise<void> {
    await this.loaded;
    await Promise.all([...this.copies].map(([url, copy]) => this.copy(url, copy.path, 'no-cache')));
  }

  /** Files changed: replace their copies. Resolves once every copy is current (or unknown). */
  async update(modules: readonly { path: ModulePath; hash: Hash }[]): Promise<void> {
    await this.loaded;
    const jobs: Promise<void>[] = [];
    for (const { path, hash } of modules) {
      this.touch(path);
      for (const [url, copy] of this.copies) if (copy.path === path && copy.hash !== hash) jobs.push(this.copy(url, path));
    }
    await Promise.all(jobs);
  }

  /** Files deleted: release their copies. */
  async remove(paths: readonly ModulePath[]): Promise<void> {
    await this.loaded;
    const gone = new Set(paths);
    for (const path of gone) this.touch(path);
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

  private touch(path: ModulePath): void {
    this.epochs.set(path, (this.epochs.get(path) ?? 0) + 1);
  }

  /**
   * Fetches `url` with our header so the HTTP cache keeps an immutable copy, and records
   * its hash. A change of the file during the fetch (its epoch moved) fetches again.
   * `no-cache` revalidates (a 304 when current); `reload` always takes a fresh copy.
   */
  private copy(url: string, path: ModulePath, mode: RequestCache = 'reload'): Promise<void> {
    const running = this.running.get(url);
    if (running) return running; // it fetches again if the file changed meanwhile
    const job = (async () => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const epoch = this.epochs.get(path);
        const before = this.copies.get(url);
        // Unknown before the HTTP cache can change. A first copy takes the bytes the page just
        // loaded (a later edit is announced to it); a copy unknown before counts as changed.
        const changed = before === undefined ? 0 : before.hash !== null ? before.changed : Date.now();
        await this.record(url, { path, hash: null, at: Date.now(), changed });
        let response: Response;
        try {
          response = await this.limited(() => fetch(url, {
            cache: attempt === 0 ? mode : 'reload', credentials: 'same-origin', headers: { [STORE_HEADER]: STORE_HTTP_CACHE },
          }));
        } catch {
          // No answer at all (offline): the HTTP cache still holds what it held.
          if (before) await this.record(url, before);
          else await this.record(url, null);
          return;
        }
        if (!response.ok) {
          await response.body?.cancel();
          await this.record(url, null); // a 404 is `no-store`: nothing immutable is left
          return;
        }
        let hash: Hash;
        try {
          hash = await sha256Hex(await response.arrayBuffer());
        } catch {
          return; // a broken body: the copy stays unknown, the next check fetches it again
        }
        if (this.epochs.get(path) !== epoch) continue;
        const now = Date.now();
        // A first copy has the bytes the page just loaded itself: nothing to evict.
        await this.record(url, { path, hash, at: now, changed: before && before.hash !== hash ? now : changed });
        return;
      }
    })().finally(() => this.running.delete(url));
    this.running.set(url, job);
    return job;
  }

  /** Replaces an immutable copy with the server's plain `no-cache` answer, then forgets it. */
  private async release(url: string, path: ModulePath): Promise<void> {
    await this.record(url, { path, hash: null, at: Date.now(), changed: Date.now() });
    try {
      const response = await this.limited(() => fetch(url, { cache: 'reload', credentials: 'same-origin' }));
      await response.body?.cancel();
    } catch {
      return; // offline: stays unknown, copied or released at the next chance
    }
    this.releasedAt.set(url, Date.now());
    await this.record(url, null);
  }

  /** Sets (or, with null, deletes) a record; resolves once it is in IndexedDB. */
  private record(url: string, copy: HttpCopy | null): Promise<void> {
    if (copy) this.copies.set(url, copy);
    else this.copies.delete(url);
    this.batch.set(url, copy);
    // One transaction per burst: a first visit records hundreds of copies at once.
    this.flush ??= Promise.resolve().then(() => {
      const batch = [...this.batch];
      this.batch.clear();
      this.flush = undefined;
      const sets = batch.filter((row): row is [string, HttpCopy] => row[1] !== null);
      const dels = batch.filter(([, copy]) => copy === null).map(([key]) => key);
      return this.idb.then((store) => Promise.all([sets.length && setMany(sets, store), dels.length && delMany(dels, store)])).then(
        () => undefined,
        (error) => {
          this.durable = false;
          console.warn('modrelay: recording HTTP-cache copies failed; modules stay plain HTTP', error);
        },
      );
    });
    return this.flush;
  }

  private async limited<T>(run: () => Promise<T>): Promise<T> {
    while (this.active >= CONCURRENCY) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await run();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/**
 * The records' store. idb-keyval creates its object store only when it creates the
 * database, so a database that something else created first (a DevTools snippet opening it
 * by name) would fail every transaction: such a database holds no records, so it is
 * deleted and made again. Our own connection is closed first; idb-keyval's would block it.
 */
async function recordsStore(): Promise<UseStore> {
  const open = indexedDB.open(DB_NAME);
  open.onupgradeneeded = () => open.result.createObjectStore(STORE_NAME);
  const db = await promisifyRequest(open);
  const usable = db.objectStoreNames.contains(STORE_NAME);
  db.close();
  if (!usable) {
    const deleted = promisifyRequest(indexedDB.deleteDatabase(DB_NAME));
    if ((await Promise.race([deleted, after(DELETE_TIMEOUT_MS, 'blocked' as const)])) === 'blocked') {
      throw new Error(`modrelay: cannot recreate IndexedDB ${DB_NAME}: another tab holds it open`);
    }
  }
  return createStore(DB_NAME, STORE_NAME);
}

/**
 * A worker without the HTTP-cache store (the page switched to `store: 'cache-storage'`, or
 * static routes are gone) must not leave immutable copies behind: nobody would replace them
 * when their files change. Releases every recorded copy, then deletes the records.
 */
export async function releaseLeftovers(): Promise<void> {
  try {
    if (!(await indexedDB.databases()).some((db) => db.name === DB_NAME)) return;
    const idb = createStore(DB_NAME, STORE_NAME);
    const rows = await entries<string, HttpCopy>(idb);
    const released = await Promise.all(rows.map(([url]) => fetch(url, { cache: 'reload', credentials: 'same-origin' }).then(
      async (response) => { await response.body?.cancel(); return url; },
      () => null, // offline: try again at the next start
    )));
    await delMany(released.filter((url): url is string => url !== null), idb);
  } catch (error) {
    console.warn('modrelay: could not release HTTP-cache copies', error);
  }
}
