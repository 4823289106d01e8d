import { createStore, entries } from 'idb-keyval';
import { CACHE_NAME, CACHE_STORAGE_DB } from '../../protocol/defaults.js';
import type { FilePath, Hash, ModuleUpdated } from '../../protocol/wire.js';
import { ByteLru } from '../../lib/lru.js';
import type { Epochs } from '../kit/epochs.js';
import { IdbBatch } from '../kit/idb-batch.js';
import type { Cached, FileRecord, Verified } from './cached.js';
import { PageFiles } from './page-files.js';
import { Writes } from './writes.js';
import type { Store, Verdict } from './store.js';

/**
 * `store: 'cache-storage'`: Cache Storage for bodies + IndexedDB for metadata + an in-memory
 * copy of both (bodies up to a byte budget, lib/lru.ts; the ones dropped stay in Cache Storage), so a warm hit is answered
 * from memory without `caches.match`. The in-memory `meta` map is the truth during one
 * worker lifetime: evictions apply to it synchronously (a batch is atomic for every later
 * fetch), persistent deletes follow. Writes wait for the pages' loads to end and go Cache
 * Storage first, then metadata (writes.ts), so an entry a restarted worker reads back always
 * has its body. The worker keeps this store with either store
 * option: pages and modrelay's own files live here too.
 */
export class CacheStorageStore implements Store {
  private meta = new Map<string, FileRecord>();
  private bodies: ByteLru<ArrayBuffer>;
  private cache: Promise<Cache> = caches.open(CACHE_NAME);
  private idb = createStore(CACHE_STORAGE_DB.database, CACHE_STORAGE_DB.store);
  private records = new IdbBatch<FileRecord>(Promise.resolve(this.idb));
  /** Bodies put but not in Cache Storage yet (served from here meanwhile, whatever the memory budget). */
  private unsaved = new Map<string, ArrayBuffer>();
  private readonly writes: Writes;
  private readonly pageFiles: PageFiles;
  readonly loaded: Promise<void>;

  /**
   * `isModule`: paths the relay serves (their HTTP copies are sent for confirmation);
   * `refused`: paths the relay does not serve, shared with the engine (network-first);
   * `loadsDone`: resolves once no page is loading through this worker (writes wait for it);
   * `elsewhere`: files this version leaves to the HTTP cache (a page's are probed there, `readPage`).
   */
  constructor(
    memoryBytes: number,
    private readonly epochs: Epochs,
    private readonly isModule: (path: FilePath) => boolean,
    private readonly refused: Set<FilePath>,
    loadsDone: () => Promise<void>,
    private readonly elsewhere: (url: string) => boolean,
  ) {
    this.bodies = new ByteLru<ArrayBuffer>(memoryBytes, (bytes) => bytes.byteLength);
    this.writes = new Writes(this.cache, this.records, loadsDone, this.meta, () => this.pageFiles.settle());
    this.pageFiles = new PageFiles(this.meta, this.writes, this.records, elsewhere, loadsDone);
    this.loaded = Promise.all([
      entries<string, FileRecord>(this.idb),
      this.cache.then((cache) => cache.keys()).then((requests) => new Set(requests.map((r) => r.url)), () => null),
    ]).then(
      ([rows, bodies]) => {
        for (const [url, meta] of rows) {
          if (this.meta.has(url)) continue;
          // Metadata whose body is gone (Cache Storage cleared on its own, e.g. from DevTools)
          // must not be sent as `have`: the relay would skip pushing what this worker lacks.
          if (bodies && !bodies.has(url)) void this.records.write(url, null).catch(() => undefined);
          else {
            this.meta.set(url, meta);
            this.writes.durable(meta);
          }
        }
      },
      () => undefined, // no IndexedDB (private mode): run with an empty cache
    );
  }

  get(url: string): FileRecord | undefined {
    return this.meta.get(url);
  }

  /** A cached body already in memory (the warm path: no promise, no Cache Storage). */
  peek(url: string): Cached | undefined {
    const meta = this.meta.get(url);
    const bytes = meta && (this.bodies.get(url) ?? this.unsaved.get(url));
    return bytes && { meta: meta!, bytes };
  }

  /** Reads a cached body: memory first, then Cache Storage (kept in memory afterwards). */
  async read(url: string): Promise<Cached | undefined> {
    // A worker that just started offline is asked before its records are read: wait for them.
    if (!this.meta.has(url)) await this.loaded;
    const meta = this.meta.get(url);
    if (!meta) return undefined;
    let bytes = this.bodies.get(url) ?? this.unsaved.get(url);
    if (!bytes) {
      const response = await (await this.cache).match(url);
      if (this.meta.get(url) !== meta) return undefined; // evicted while reading
      if (!response) {
        this.evict([url]); // metadata without a body: heal
        return undefined;
      }
      bytes = await response.arrayBuffer();
      this.bodies.set(url, bytes);
    }
    return { meta, bytes };
  }

  /**
   * Caches verified bytes under `url`: in memory at once (served from there while they stay
   * within the memory budget), then Cache Storage, then metadata. Resolves true once persisted;
   * false (nothing persisted) on a quota error or when the path was invalidated meanwhile.
   */
  put(url: string, v: Verified, source: FileRecord['source'], kind: FileRecord['kind'], page = false): Promise<boolean> {
    if (this.epochs.of(v.path) !== v.epoch) return Promise.resolve(false);
    const meta: FileRecord = {
      // This order is what DevTools' IndexedDB preview shows first.
      path: v.path, hash: v.hash, kind, source, size: v.bytes.byteLength, at: Date.now(), contentType: v.contentType,
      ...(v.headers ? { headers: v.headers } : {}),
      ...(page ? { complete: false } : {}),
    };
    this.meta.set(url, meta);
    this.bodies.set(url, v.bytes);
    this.unsaved.set(url, v.bytes);
    if (page) this.pageFiles.copied(url);
    return this.writes.write(url, meta, v).finally(() => {
      if (this.unsaved.get(url) === v.bytes) this.unsaved.delete(url);
    });
  }

  /** What each page loaded (page-files.ts): its copy is opened offline once those files are all on disk. */
  get pages(): Pick<PageFiles, 'navigated' | 'asked' | 'loaded'> {
    return this.pageFiles;
  }

  /**
   * A page's copy, for an offline navigation: only when it is whole — every file it loaded is
   * here or in the HTTP cache (`elsewhere`: where this version loads it from), which `probe`
   * asks (page-files.ts `needed`).
   */
  async readPage(url: string, probe: (urls: string[]) => Promise<boolean>): Promise<Cached | undefined> {
    const cached = await this.read(url);
    const files = cached && this.pageFiles.needed(url, cached.meta);
    if (!files) return undefined;
    // What this version leaves to the HTTP cache, and what this store lost (an immutable copy there still answers).
    const far = files.filter((file) => this.elsewhere(file) || !this.meta.has(file));
    return far.length === 0 || (await probe(far)) ? cached : undefined;
  }

  /**
   * Changes an entry's kind: `module` once the relay confirmed its hash, `shell` when the
   * relay no longer serves it. `hash` guards against an entry replaced meanwhile.
   */
  private setKind(url: string, hash: Hash, kind: FileRecord['kind']): void {
    const meta = this.meta.get(url);
    if (!meta || meta.hash !== hash || meta.kind === kind) return;
    const state = this.writes.state(url);
    // A write still queued or running writes this very record: a new one would orphan it (it
    // drops an entry replaced meanwhile), leaving a record on disk with no body.
    if (state === 'pending') return void (meta.kind = kind);
    const changed = { ...meta, kind };
    this.meta.set(url, changed);
    if (state !== 'durable') return; // no body on disk: no record either
    this.writes.durable(changed);
    void this.records.write(url, changed).catch(() => undefined); // queued after any eviction's delete
  }

  /** Cached URLs of one relay path (a path may be cached under several query strings). */
  urlsOf(path: FilePath): string[] {
    const urls: string[] = [];
    for (const [url, meta] of this.meta) if (meta.path === path) urls.push(url);
    return urls;
  }

  evict(urls: readonly string[]): void {
    if (urls.length === 0) return;
    for (const url of urls) {
      this.meta.delete(url);
      this.bodies.delete(url);
      this.unsaved.delete(url);
    }
    void this.cache.then((cache) => Promise.all(urls.map((url) => cache.delete(url)))).catch(() => undefined);
    for (const url of urls) void this.records.write(url, null).catch(() => undefined);
  }

  /**
   * Every `module` entry, plus HTTP copies of module files that the relay may now confirm.
   * Also the `have` list of pushes: relay and HTTP copies alike, validated or not (the relay
   * skips only a matching hash, so an old copy still gets the new bytes).
   */
  manifest(): Record<FilePath, Hash> {
    const entries: Record<FilePath, Hash> = {};
    for (const meta of this.meta.values()) {
      if (meta.kind === 'module' || (meta.source === 'network' && this.isModule(meta.path))) entries[meta.path] = meta.hash;
    }
    return entries;
  }

  /**
   * Applies a verdict synchronously, so the whole batch lands before any read. An HTTP copy
   * of a path the relay does not serve joins `refused`: asking it for that path again would
   * only cost a round trip before the same HTTP fetch.
   */
  apply(verdict: Verdict): Promise<void> {
    for (const path of verdict.invalidated()) this.epochs.bump(path);
    const stale: string[] = [];
    for (const [url, meta] of this.meta) {
      if (!verdict.covers(meta.path)) continue; // cached after the snapshot: current
      if (verdict.removed(meta.path)) {
        // Not (or no longer) served by the relay, e.g. /@modrelay/client.mjs: an HTTP copy
        // stays as a network-first copy for offline use; a relay copy of a deleted file goes.
        if (meta.source === 'network') {
          this.setKind(url, meta.hash, 'shell');
          this.refused.add(meta.path);
        } else {
          stale.push(url);
        }
        continue;
      }
      if (meta.hash !== verdict.current(meta.path)) stale.push(url);
      else if (meta.kind === 'shell') this.setKind(url, meta.hash, 'module'); // the relay vouches for this HTTP copy
    }
    this.evict(stale);
    return Promise.resolve();
  }

  updated(files: ModuleUpdated['modules']): Promise<void> {
    const stale: string[] = [];
    for (const { path, hash } of files) {
      for (const url of this.urlsOf(path)) if (this.meta.get(url)!.hash !== hash) stale.push(url);
    }
    this.evict(stale);
    return Promise.resolve();
  }

  removed(paths: readonly FilePath[]): Promise<void> {
    this.evict(paths.flatMap((path) => this.urlsOf(path)));
    return Promise.resolve();
  }
}
