import { createStore, delMany, entries, promisifyRequest, type UseStore } from 'idb-keyval';
import { HTTP_CACHE_DB } from '../../protocol/defaults.js';
import type { Hash, FilePath } from '../../protocol/wire.js';
import { after } from '../kit/deferred.js';

/**
 * What IndexedDB `modrelay-http-cache` holds for each URL whose `immutable` copy the
 * browser's HTTP cache may hold (DevTools → Application → IndexedDB).
 */
export interface HttpCopy {
  path: FilePath;
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

/** Deleting a database waits for every connection to close; never wait longer than this. */
const DELETE_TIMEOUT_MS = 2000;

/**
 * The records' store. idb-keyval creates its object store only when it creates the
 * database, so a database that something else created first (a DevTools snippet opening it
 * by name) would fail every transaction: such a database holds no records, so it is
 * deleted and made again. Our own connection is closed first; idb-keyval's would block it.
 */
export async function recordsStore(): Promise<UseStore> {
  const { database, store } = HTTP_CACHE_DB;
  const open = indexedDB.open(database);
  open.onupgradeneeded = () => open.result.createObjectStore(store);
  const db = await promisifyRequest(open);
  const usable = db.objectStoreNames.contains(store);
  db.close();
  if (!usable) {
    const deleted = promisifyRequest(indexedDB.deleteDatabase(database));
    if ((await Promise.race([deleted, after(DELETE_TIMEOUT_MS, 'blocked' as const)])) === 'blocked') {
      throw new Error(`modrelay: cannot recreate IndexedDB ${database}: another tab holds it open`);
    }
  }
  return createStore(database, store);
}

/**
 * A worker without the HTTP-cache store (the page switched to `store: 'cache-storage'`, or
 * static routes are gone) must not leave immutable copies behind: nobody would replace them
 * when their files change. Releases every recorded copy, then deletes the records.
 */
export async function releaseLeftovers(): Promise<void> {
  const { database, store } = HTTP_CACHE_DB;
  try {
    if (!(await indexedDB.databases()).some((db) => db.name === database)) return;
    const idb = createStore(database, store);
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
