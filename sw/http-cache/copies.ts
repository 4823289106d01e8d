import { entries } from 'idb-keyval';
import type { FilePath, Hash } from '../../protocol/wire.js';
import { Queue } from '../../lib/queue.js';
import { deferred } from '../kit/deferred.js';
import type { Epochs } from '../kit/epochs.js';
import { IdbBatch } from '../kit/idb-batch.js';
import { fetchCopy, releaseCopy, type CopyResult } from './http-copy.js';
import { recordsStore, type HttpCopy } from './records.js';

/** HTTP requests of the store in flight at once: a first visit reports hundreds of files. */
const CONCURRENCY = 16;
/** A file still changing after this many copies stays unknown; the next check copies it again. */
export const MAX_ATTEMPTS = 3;

/** Whether the HTTP server follows protocol/http-cache.ts, as its answers to our copies show. */
export type Server = 'unknown' | 'honours' | 'ignores';

/** What the copies need of the browser: its HTTP cache (http-copy.ts) and IndexedDB (records.ts). Unit tests pass their own. */
export interface CopyIo {
  fetchCopy(url: string, mode: RequestCache): Promise<CopyResult>;
  releaseCopy(url: string): Promise<boolean>;
  /**
   * Whether a page's own load of `url` would get it now: asked the way the page asks (the HTTP
   * cache's default mode), while the network is gone. A copy the browser lost, or an entry that
   * must be revalidated (the client's `no-cache` answer, before its immutable copy), says no.
   */
  cached(url: string): Promise<boolean>;
  /** Every record; rejects when IndexedDB is unusable. */
  readRecords(): Promise<[string, HttpCopy][]>;
  /** Writes (null: deletes) one record; resolves once it is in IndexedDB. */
  writeRecord(url: string, copy: HttpCopy | null): Promise<void>;
}

export function browserIo(): CopyIo {
  const idb = recordsStore();
  const batch = new IdbBatch<HttpCopy>(idb);
  return {
    fetchCopy,
    releaseCopy,
    cached: (url) => fetch(url, { mode: 'same-origin', credentials: 'same-origin' }).then(async (response) => {
      await response.body?.cancel();
      return response.ok;
    }, () => false),
    readRecords: () => idb.then((store) => entries<string, HttpCopy>(store)),
    writeRecord: (url, copy) => batch.write(url, copy),
  };
}

/**
 * The immutable copies in the browser's HTTP cache and their records — the invariant of the
 * default store (README.md in this folder): **every immutable copy is recorded, with the hash of
 * its bytes once the relay vouched for them.** Copies only become immutable through `copy` (the
 * server answers `immutable` to our header only), which records the URL as unknown *before*
 * fetching and its hash only after `verify` matched it with the relay's sha-256 (a broken copy
 * is fetched again, never recorded). To drop a copy (`release`), fetch it without the header:
 * the `no-cache` answer (or a 404, `no-store`) replaces the immutable one.
 */
export class Copies {
  private readonly copies = new Map<string, HttpCopy>();
  private readonly running = new Map<string, Promise<void>>();
  /** url → when its copy was released (the record is gone, so `changedSince` cannot say it otherwise). */
  private readonly releasedAt = new Map<string, number>();
  /**
   * Files being edited: their record in IndexedDB says unknown (written before the first
   * edit's copy and left so), while this worker knows each copy's hash. The next edit's copy
   * then has no IndexedDB write to wait for before its fetch, 2–6 ms of a hot update; a
   * worker that starts again copies these files once more.
   */
  private readonly unknownOnDisk = new Set<string>();
  private readonly limit = new Queue(CONCURRENCY);
  /** Resolved (and replaced) whenever a record changes: `changes()`. */
  private changed = deferred<void>();
  /** False once IndexedDB failed: an untracked copy could outlive this worker, so copy nothing new. */
  durable = true;
  server: Server = 'unknown';
  readonly loaded: Promise<void>;

  /** `verify`: whether the relay's sha-256 of `path` is `hash` (null: it cannot tell now, e.g. the link is down). */
  constructor(
    private readonly epochs: Epochs,
    private readonly verify: (url: string, path: FilePath, hash: Hash) => Promise<boolean | null>,
    private readonly io: CopyIo = browserIo(),
  ) {
    this.loaded = io.readRecords().then(
      (rows) => { for (const [url, copy] of rows) if (!this.copies.has(url)) this.copies.set(url, copy); },
      () => { this.durable = false; }, // no IndexedDB (private mode): files stay plain HTTP
    );
  }

  get(url: string): HttpCopy | undefined {
    return this.copies.get(url);
  }

  all(): IterableIterator<[string, HttpCopy]> {
    return this.copies.entries();
  }

  get size(): number {
    return this.copies.size;
  }

  /** True while some copy is being made or replaced. */
  get busy(): boolean {
    return this.running.size > 0;
  }

  /** Resolves the next time a record changes (a copy starts, ends or is released). */
  changes(): Promise<void> {
    return this.changed.promise;
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
  copy(url: string, path: FilePath, mode: RequestCache = 'reload', expected?: Hash, edit = false): Promise<void> {
    const running = this.running.get(url);
    if (running) return running; // it fetches again if the file changed meanwhile
    const job = this.copyOnce(url, path, mode, expected, edit).finally(() => this.running.delete(url));
    this.running.set(url, job);
    return job;
  }

  private async copyOnce(url: string, path: FilePath, mode: RequestCache, expected: Hash | undefined, edit: boolean): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const epoch = this.epochs.of(path);
      const before = this.copies.get(url);
      // Unknown before the HTTP cache can change. A first copy takes the bytes the page just
      // loaded (a later edit is announced to it); a copy unknown before counts as changed.
      const changed = before === undefined ? 0 : before.hash !== null ? before.changed : Date.now();
      const unknown: HttpCopy = { path, hash: null, at: Date.now(), changed };
      if (this.unknownOnDisk.has(url)) this.set(url, unknown);
      else {
        await this.record(url, unknown);
        this.unknownOnDisk.add(url);
      }
      const result = await this.limit.run(() => this.io.fetchCopy(url, attempt === 0 ? mode : 'reload'));
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
      if (edit) this.set(url, copied); // IndexedDB keeps saying unknown: see unknownOnDisk
      else void this.record(url, copied);
      return;
    }
    // Still wrong after every attempt: leave no immutable copy the relay does not vouch for.
    await this.release(url, path);
  }

  /** Replaces an immutable copy with the server's plain `no-cache` answer, then forgets it. */
  async release(url: string, path: FilePath): Promise<void> {
    await this.record(url, { path, hash: null, at: Date.now(), changed: Date.now() });
    if (!(await this.limit.run(() => this.io.releaseCopy(url)))) return; // offline: stays unknown, copied or released at the next chance
    this.releasedAt.set(url, Date.now());
    await this.record(url, null);
  }

  /** Sets (or, with null, deletes) a record in memory only. */
  private set(url: string, copy: HttpCopy | null): void {
    if (copy) this.copies.set(url, copy);
    else this.copies.delete(url);
    const changed = this.changed;
    this.changed = deferred();
    changed.resolve();
  }

  /** Sets (or deletes) a record; resolves once it is in IndexedDB. */
  private record(url: string, copy: HttpCopy | null): Promise<void> {
    this.set(url, copy);
    this.unknownOnDisk.delete(url);
    return this.io.writeRecord(url, copy).catch((error: unknown) => {
      this.durable = false;
      console.warn('modrelay: recording HTTP-cache copies failed; files stay plain HTTP', error);
    });
  }
}
