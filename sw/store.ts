import type { Hash, ModulePath, ModuleRemoved, ModuleUpdated } from '../protocol/wire.js';
import type { Verdict } from './validation.js';

/**
 * What every store of module copies does, so the engine and validation treat them alike.
 * Two implement it: `cache-storage-store.ts` (bodies in Cache Storage, answered by the
 * worker) and `http-cache-store.ts` (immutable copies in the browser's HTTP cache, answered
 * by the browser). Each records what it holds in IndexedDB through `idb-batch.ts`; one
 * `Epochs` and one refused set are shared by both.
 */
export interface Store<Entry extends { path: ModulePath }, PutArgs extends unknown[]> {
  /** Records read from IndexedDB once per worker start. */
  readonly loaded: Promise<void>;
  /** path → hash of every copy the relay must vouch for before it is served. */
  manifest(): Record<ModulePath, Hash>;
  /** Applies the relay's answer to one `manifest:check`; resolves when the store is current. */
  apply(verdict: Verdict): Promise<void>;
  /** The record of `url`, if this store holds a copy. */
  get(url: string): Entry | undefined;
  /** Stores a copy of `url`; resolves true once it is recorded. */
  put(url: string, ...args: PutArgs): Promise<boolean>;
  /** Drops the copies of `urls`, for every later read at once. */
  evict(urls: readonly string[]): void;
  /** Files changed on disk (a relay broadcast): resolves once no stale copy can be served. */
  updated(modules: ModuleUpdated['modules']): Promise<void>;
  /** Files deleted on disk. */
  removed(paths: ModuleRemoved['paths']): Promise<void>;
}

/** Any store, as the engine and validation hold them. */
export type AnyStore = Store<{ path: ModulePath }, never[]>;
