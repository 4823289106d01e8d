import { Queue } from '../../lib/queue.js';
import type { IdbBatch } from '../kit/idb-batch.js';
import { storedResponse, type FileRecord, type Verified } from './cached.js';

/** Cache Storage writes at once, after a load (each still holds the worker's thread for a while). */
const WRITE_CONCURRENCY = 4;

function isQuotaError(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'QuotaExceededError';
}

/**
 * The Cache Storage store's writes: the body into Cache Storage, then its record into
 * IndexedDB, a few at a time, once the pages' loads are over. `meta` is the store's in-memory
 * truth: a write whose entry was evicted or replaced meanwhile is dropped (or undone).
 */
export class Writes {
  private readonly queue = new Queue(WRITE_CONCURRENCY);
  private quiet: Promise<void> | undefined;
  /** Entries whose body and record are on disk (read back at start, or written by this worker). */
  private readonly onDisk = new WeakSet<FileRecord>();
  /** URLs with a write queued or running. */
  private readonly writing = new Set<string>();

  /** `settled`: hears of every write that finished, stored or not (page-files.ts seals pages then). */
  constructor(
    private readonly cache: Promise<Cache>,
    private readonly records: IdbBatch<FileRecord>,
    private readonly loadsDone: () => Promise<void>,
    private readonly meta: Map<string, FileRecord>,
    private readonly settled: () => void,
  ) {}

  /** Resolves true once `url`'s body and record are durable; false when not (evicted meanwhile, quota, an error). */
  write(url: string, meta: FileRecord, v: Verified): Promise<boolean> {
    this.writing.add(url);
    return this.queue.run(() => this.persist(url, meta, v)).then((stored) => {
      if (stored) this.onDisk.add(meta);
      if (this.meta.get(url) === meta || !this.meta.has(url)) this.writing.delete(url); // not a newer entry's write
      this.settled();
      return stored;
    });
  }

  /** An entry read back from disk, or a record rewritten (kind, a page's files) of one that was. */
  durable(meta: FileRecord): void {
    this.onDisk.add(meta);
  }

  /** Whether `url`'s current entry is on disk; `pending` whether a write of it may still make it so. */
  state(url: string): 'durable' | 'pending' | 'lost' | 'absent' {
    const meta = this.meta.get(url);
    if (!meta) return 'absent';
    if (this.onDisk.has(meta)) return 'durable';
    return this.writing.has(url) ? 'pending' : 'lost';
  }

  /**
   * A `cache.put` holds this thread for ~5 ms (a trace of a first visit of three: 387 puts,
   * 2 s of the worker's thread), in the way of the fetch events and pushes of the load that
   * brought the bodies: it waits until the pages' loads are over, and is checked again before
   * each write (a reload may have begun). Until then the body is served from memory.
   */
  private async persist(url: string, meta: FileRecord, v: Verified): Promise<boolean> {
    await (this.quiet ??= this.loadsDone().finally(() => (this.quiet = undefined)));
    if (this.meta.get(url) !== meta) return false; // evicted or replaced while waiting
    const cache = await this.cache;
    try {
      await cache.put(url, storedResponse(v));
      await this.records.write(url, meta);
    } catch (error) {
      void cache.delete(url).catch(() => undefined);
      if (!isQuotaError(error)) console.warn('modrelay: caching failed', url, error);
      return false;
    }
    if (this.meta.get(url) === meta) return true;
    // Evicted or replaced while writing: the eviction's deletes may have run before our
    // writes, so undo them unless a newer entry took the URL.
    if (!this.meta.has(url)) {
      void cache.delete(url).catch(() => undefined);
      void this.records.write(url, null).catch(() => undefined);
    }
    return false;
  }

}
