import type { Page } from 'playwright-core';

/**
 * Every key → value of one IndexedDB object store of the page's origin, as DevTools shows it.
 * Never opens a database that does not exist yet: that would create it empty, without the
 * worker's object store, and the worker would then have to start it again.
 */
export function idbEntries<T>(page: Page, database: string, store: string): Promise<[string, T][]> {
  return page.evaluate(async ({ database, store }) => {
    if (!(await indexedDB.databases()).some((db) => db.name === database)) return [];
    return new Promise<[string, T][]>((resolve) => {
      const found: [string, T][] = [];
      const open = indexedDB.open(database);
      open.onerror = () => resolve(found);
      open.onsuccess = () => {
        const db = open.result;
        if (!db.objectStoreNames.contains(store)) {
          db.close();
          return resolve(found);
        }
        const cursor = db.transaction(store).objectStore(store).openCursor();
        cursor.onerror = () => resolve(found);
        cursor.onsuccess = () => {
          const at = cursor.result;
          if (!at) {
            db.close();
            return resolve(found);
          }
          found.push([at.key as string, at.value as T]);
          at.continue();
        };
      };
    });
  }, { database, store });
}

/** Sets (or, with null, deletes) one key of an existing IndexedDB object store of the page's origin. */
export function idbWrite(page: Page, database: string, store: string, key: string, value: unknown): Promise<void> {
  return page.evaluate(({ database, store, key, value }) => new Promise<void>((resolve, reject) => {
    const open = indexedDB.open(database);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const transaction = db.transaction(store, 'readwrite');
      if (value === null) transaction.objectStore(store).delete(key);
      else transaction.objectStore(store).put(value, key);
      transaction.oncomplete = () => { db.close(); resolve(); };
      transaction.onerror = () => { db.close(); reject(transaction.error); };
    };
  }), { database, store, key, value });
}
