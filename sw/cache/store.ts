import type { FilePath, Hash, ManifestStatus, ModuleRemoved, ModuleUpdated } from '../../protocol/wire.js';

/**
 * The relay's answer to one `manifest:check`, as the stores read it: for every path sent,
 * whether it is gone and, if not, its current hash. One hash per path is sent even when both
 * stores hold the path: the answer still gives the current hash, which each store compares
 * with its own.
 */
export class Verdict {
  private readonly gone: Set<FilePath>;

  constructor(readonly sent: Readonly<Record<FilePath, Hash>>, private readonly status: Pick<ManifestStatus, 'changed' | 'removed'>) {
    this.gone = new Set(status.removed);
  }

  /** False for a path recorded after the snapshot was sent: it is current. */
  covers(path: FilePath): boolean {
    return Object.hasOwn(this.sent, path);
  }

  removed(path: FilePath): boolean {
    return this.gone.has(path);
  }

  /** The file's hash now (for a covered path that is not removed). */
  current(path: FilePath): Hash | undefined {
    return this.status.changed[path] ?? this.sent[path];
  }

  /** Paths whose copies are invalid now: changed or removed. */
  invalidated(): FilePath[] {
    return [...Object.keys(this.status.changed), ...this.gone];
  }
}

/**
 * What the worker's two stores have in common — `CacheStorageStore` (cache-storage-store.ts:
 * bodies the worker answers with) and `HttpCacheStore` (sw/http-cache/: copies the browser's
 * HTTP cache answers with) — so validation (sw/relay/validation.ts) and change notices treat
 * them alike. Each records what it holds in IndexedDB; one `Epochs` is shared by both.
 */
export interface Store {
  /** Records read from IndexedDB once per worker start. */
  readonly loaded: Promise<void>;
  /** path → hash of every copy the relay must vouch for before it is served. */
  manifest(): Record<FilePath, Hash>;
  /** Applies the relay's answer to one `manifest:check`; resolves when the store is current. */
  apply(verdict: Verdict): Promise<void>;
  /** Files changed on disk (a relay broadcast): resolves once no stale copy can be served. */
  updated(files: ModuleUpdated['modules']): Promise<void>;
  /** Files deleted on disk. */
  removed(paths: ModuleRemoved['paths']): Promise<void>;
}
