import type { IdbBatch } from '../kit/idb-batch.js';
import type { FileRecord } from './cached.js';
import type { Writes } from './writes.js';

/**
 * Which files each page needs, so an offline navigation opens a page only when all of them are
 * there (cache-storage-store.ts `readPage`). Two sources: the files a page's window fetched
 * through this worker, and the page's own word (`loads:quiet`, client/loads.ts), which also
 * names what the routed version leaves to the HTTP cache. Once the page's load is over — it said
 * so, or the worker's loads went quiet — and every one of those files this worker holds is on
 * disk, the page's record gets them (`FileRecord.files`) and `complete: true` in one record
 * write. A page copy starts incomplete, so a browser that dies at any moment leaves a page whole
 * on disk or one not opened offline: the network's own error, never half an app.
 */
export class PageFiles {
  /** Each page's files since its navigation, until they are sealed into its record. */
  private readonly waiting = new Map<string, Set<string>>();
  /** Pages whose load is over (their word came, or the loads went quiet after their fetches). */
  private readonly over = new Set<string>();
  private overSoon: Promise<void> | undefined;
  /** Pages whose copy this worker made: what they loaded is in its memory, written or not. */
  private readonly live = new Set<string>();

  /** `elsewhere`: URLs this worker does not hold for the current version (the HTTP cache does: checked when the page is opened). */
  constructor(
    private readonly meta: Map<string, FileRecord>,
    private readonly writes: Pick<Writes, 'state' | 'durable'>,
    private readonly records: Pick<IdbBatch<FileRecord>, 'write'>,
    private readonly elsewhere: (url: string) => boolean,
    private readonly loadsDone: () => Promise<void>,
  ) {}

  /** A navigation to `page` began: what it needs is counted anew. */
  navigated(page: string): void {
    this.waiting.set(page, new Set());
    this.over.delete(page);
  }

  /** This worker cached `page`'s copy (incomplete until sealed). */
  copied(page: string): void {
    this.live.add(page);
  }

  /**
   * The files to find before `record` (a page's copy) is opened offline, or null when it must not
   * be: incomplete on disk (a browser that died before its files were), unless this worker
   * loaded it itself and still holds what it loaded.
   */
  needed(page: string, record: FileRecord): string[] | null {
    if (record.complete !== false) return record.files ?? [];
    return this.live.has(page) ? [...(this.waiting.get(page) ?? []), ...(record.files ?? [])] : null;
  }

  /** `page`'s window fetched `url` through this worker. */
  asked(page: string, url: string): void {
    this.files(page).add(url);
    this.over.delete(page);
    // A page without modrelay's client never says when it is done: the loads going quiet do.
    this.overSoon ??= this.loadsDone().then(() => {
      this.overSoon = undefined;
      // (A routed page's files never reach this worker: its word, not silence, ends its load.)
      for (const [waiting, files] of this.waiting) if (files.size > 0) this.over.add(waiting);
      this.settle();
    });
  }

  /** `page` said it loaded `urls`: its whole load (`first`), or more since it last said. */
  loaded(page: string, urls: readonly string[], first: boolean): void {
    const files = first ? (this.waiting.get(page) ?? new Set()) : this.files(page);
    for (const url of urls) files.add(url);
    this.waiting.set(page, files);
    this.over.add(page);
    this.settle();
  }

  /** A worker that started after the navigation still knows what the record says. */
  private files(page: string): Set<string> {
    let files = this.waiting.get(page);
    if (!files) this.waiting.set(page, (files = new Set(this.meta.get(page)?.files)));
    return files;
  }

  /** Seals each page whose load is over and whose files all settled. Runs after every write. */
  settle(): void {
    for (const [page, files] of this.waiting) {
      if (!this.over.has(page)) continue;
      const own = this.writes.state(page);
      if (own === 'pending') continue;
      if (own !== 'durable') {
        this.forget(page); // not cached (not a 200, evicted, the write failed): nothing to seal
        continue;
      }
      const states = [...files].filter((url) => !this.elsewhere(url)).map((url) => this.writes.state(url));
      if (states.includes('pending')) continue;
      this.forget(page);
      // A file the worker holds in memory only (its write failed) would be missing offline.
      // One it never held (an error the page got online too, or replaced since) is not asked for.
      this.write(page, !states.includes('lost'), [...files].filter((url) => this.elsewhere(url) || this.writes.state(url) === 'durable'));
    }
  }

  private forget(page: string): void {
    this.waiting.delete(page);
    this.over.delete(page);
  }

  private write(page: string, complete: boolean, files: string[]): void {
    const record = this.meta.get(page)!;
    const had = new Set(record.files);
    if (record.complete === complete && had.size === files.length && files.every((url) => had.has(url))) return;
    const next: FileRecord = { ...record, complete, files };
    this.meta.set(page, next);
    this.writes.durable(next);
    void this.records.write(page, next).catch(() => undefined);
  }
}
