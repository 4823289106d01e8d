import { createStore, entries, promisifyRequest } from 'idb-keyval';
import type { Hash, ModulePath, ProtocolVersion } from '../protocol/wire.js';
import { BodyMemory } from './body-memory.js';

const PROTOCOL_VERSION: ProtocolVersion = 1;
/** Bodies live here; the name carries the protocol version so a bump starts clean. */
export const CACHE_NAME = `modrelay-v${PROTOCOL_VERSION}`;
export const CACHE_PREFIX = 'modrelay-';

/**
 * What IndexedDB holds per cached URL (DevTools → Application → IndexedDB → modrelay).
 * `module` entries are vouched for by the relay (it sent them, or confirmed their hash) and
 * are served from cache once validated. `shell` entries are network-first copies kept for
 * offline use: the page, files the relay does not serve (/@modrelay/client.mjs), and HTTP
 * copies of modules until the relay confirms their hash (then they become `module`).
 */
export interface ModuleMeta {
  path: ModulePath;
  hash: Hash;
  kind: 'module' | 'shell';
  source: 'relay' | 'network';
  size: number;
  /** When it was cached (ms since epoch). */
  at: number;
  contentType: string;
}

/** A body whose hash was checked, ready to serve and cache. */
export interface Verified {
  path: ModulePath;
  hash: Hash;
  contentType: string;
  bytes: ArrayBuffer;
  /** The path's epoch when the bytes were received; a later eviction makes them stale. */
  epoch: number;
}

export type Source = 'cache' | 'relay' | 'network';

export function moduleResponse(v: Pick<Verified, 'bytes' | 'hash' | 'contentType'>, source: Source): Response {
  return new Response(v.bytes, {
    headers: { 'content-type': v.contentType, etag: `"${v.hash}"`, 'x-modrelay-source': source },
  });
}

function isQuotaError(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'QuotaExceededError';
}

/**
 * Cache Storage for bodies + idb-keyval for metadata + an in-memory copy of both (bodies
 * up to a byte budget, see body-memory.ts), so a warm hit is answered from memory without
 * `caches.match`. The in-memory `meta` map is the
 * truth during one worker lifetime: evictions apply to it synchronously (a batch is atomic
 * for every later fetch), persistent deletes follow. Writes go Cache Storage first, then
 * metadata, so an entry is only ever served with both.
 */
export class ModuleCache {
  private meta = new Map<string, ModuleMeta>();
  private bodies: BodyMemory;
  private epochs = new Map<ModulePath, number>();
  private cache: Promise<Cache> = caches.open(CACHE_NAME);
  private store = createStore('modrelay', 'modules');
  private metaBatch: [string, ModuleMeta | null][] = [];
  private metaFlush: Promise<void> | undefined;
  /** Metadata read once per worker start. */
  readonly loaded: Promise<void>;

  constructor(memoryBytes: number) {
    this.bodies = new BodyMemory(memoryBytes);
    this.loaded = Promise.all([
      entries<string, ModuleMeta>(this.store),
      this.cache.then((cache) => cache.keys()).then((requests) => new Set(requests.map((r) => r.url)), () => null),
    ]).then(
      ([rows, bodies]) => {
        for (const [url, meta] of rows) {
          if (this.meta.has(url)) continue;
          // Metadata whose body is gone (Cache Storage cleared on its own, e.g. from DevTools)
          // must not be sent as `have`: the relay would skip pushing what this worker lacks.
          if (bodies && !bodies.has(url)) void this.writeMeta(url, null).catch(() => undefined);
          else this.meta.set(url, meta);
        }
      },
      () => undefined, // no IndexedDB (private mode): run with an empty cache
    );
  }

  get(url: string): ModuleMeta | undefined {
    return this.meta.get(url);
  }

  epoch(path: ModulePath): number {
    return this.epochs.get(path) ?? 0;
  }

  /** A cached body already in memory (the warm path: no promise, no Cache Storage). */
  peek(url: string): { meta: ModuleMeta; bytes: ArrayBuffer } | undefined {
    const meta = this.meta.get(url);
    const bytes = meta && this.bodies.get(url);
    return bytes && { meta: meta!, bytes };
  }

  /** Reads a cached body: memory first, then Cache Storage (kept in memory afterwards). */
  async read(url: string): Promise<{ meta: ModuleMeta; bytes: ArrayBuffer } | undefined> {
    const meta = this.meta.get(url);
    if (!meta) return undefined;
    let bytes = this.bodies.get(url);
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
  put(url: string, v: Verified, source: ModuleMeta['source'], kind: ModuleMeta['kind']): Promise<boolean> {
    if (this.epoch(v.path) !== v.epoch) return Promise.resolve(false);
    const meta: ModuleMeta = {
      // This order is what DevTools' IndexedDB preview shows first.
      path: v.path, hash: v.hash, kind, source, size: v.bytes.byteLength, at: Date.now(), contentType: v.contentType,
    };
    this.meta.set(url, meta);
    this.bodies.set(url, v.bytes);
    return this.persist(url, meta, v);
  }

  private async persist(url: string, meta: ModuleMeta, v: Verified): Promise<boolean> {
    const cache = await this.cache;
    try {
      await cache.put(url, moduleResponse(v, 'cache'));
      await this.writeMeta(url, meta);
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
      void this.writeMeta(url, null).catch(() => undefined);
    }
    return false;
  }

  /**
   * Metadata writes (null = delete) are queued and applied in order, one IndexedDB
   * transaction per burst instead of one per module: a cold load of a large graph lands
   * hundreds at once, and an eviction must never be overtaken by an older write.
   */
  private writeMeta(url: string, meta: ModuleMeta | null): Promise<void> {
    this.metaBatch.push([url, meta]);
    this.metaFlush ??= new Promise<void>((resolve) => setTimeout(resolve, 0)).then(() => {
      const batch = this.metaBatch;
      this.metaBatch = [];
      this.metaFlush = undefined;
      return this.store('readwrite', (store) => {
        for (const [key, value] of batch) {
          if (value) store.put(value, key);
          else store.delete(key);
        }
        return promisifyRequest(store.transaction);
      });
    });
    return this.metaFlush;
  }

  /**
   * Changes an entry's kind: `module` once the relay confirmed its hash, `shell` when the
   * relay no longer serves it. `hash` guards against an entry replaced meanwhile.
   */
  setKind(url: string, hash: Hash, kind: ModuleMeta['kind']): void {
    const meta = this.meta.get(url);
    if (!meta || meta.hash !== hash || meta.kind === kind) return;
    const changed = { ...meta, kind };
    this.meta.set(url, changed);
    void this.writeMeta(url, changed).catch(() => undefined); // queued after any eviction's delete
  }

  /** Bumps a path's epoch so bytes already on their way for it are not cached. */
  touch(path: ModulePath): void {
    this.epochs.set(path, this.epoch(path) + 1);
  }

  /** Cached URLs of one relay path (a path may be cached under several query strings). */
  urlsOf(path: ModulePath): string[] {
    const urls: string[] = [];
    for (const [url, meta] of this.meta) if (meta.path === path) urls.push(url);
    return urls;
  }

  /** Removes entries now (for every later read) and from storage in the background. */
  evict(urls: string[]): void {
    if (urls.length === 0) return;
    for (const url of urls) {
      this.meta.delete(url);
      this.bodies.delete(url);
    }
    void this.cache.then((cache) => Promise.all(urls.map((url) => cache.delete(url)))).catch(() => undefined);
    for (const url of urls) void this.writeMeta(url, null).catch(() => undefined);
  }

  /**
   * What one `manifest:check` validates: every `module` entry, plus HTTP copies of module
   * files (`isModule(path)`) that the relay may now confirm.
   */
  manifest(isModule: (path: ModulePath) => boolean): Record<ModulePath, Hash> {
    const entries: Record<ModulePath, Hash> = {};
    for (const meta of this.meta.values()) {
      if (meta.kind === 'module' || (meta.source === 'network' && isModule(meta.path))) entries[meta.path] = meta.hash;
    }
    return entries;
  }

  /** Every cached URL and its metadata (for `have` lists and reconciliation). */
  all(): IterableIterator<[string, ModuleMeta]> {
    return this.meta.entries();
  }
}

/** Deletes the caches of other protocol versions (on activate). Resolves true if any existed. */
export async function deleteOldCaches(): Promise<boolean> {
  const names = (await caches.keys()).filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE_NAME);
  await Promise.all(names.map((name) => caches.delete(name)));
  return names.length > 0;
}
