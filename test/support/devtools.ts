import type { CDPSession, Page } from 'playwright-core';

/**
 * DevTools' Application panel through CDP (the CDP domains Storage, CacheStorage and IndexedDB): the storage key of the
 * page's frame, then Cache Storage and IndexedDB as DevTools lists them.
 */
export async function storageKeyOf(cdp: CDPSession): Promise<string> {
  const { frameTree } = await cdp.send('Page.getFrameTree');
  const { storageKey } = await cdp.send('Storage.getStorageKey', { frameId: frameTree.frame.id });
  return storageKey;
}

export async function cacheEntries(page: Page, cacheName: string) {
  const cdp = await page.context().newCDPSession(page);
  try {
    const storageKey = await storageKeyOf(cdp);
    const { caches } = await cdp.send('CacheStorage.requestCacheNames', { storageKey });
    const cache = caches.find((c) => c.cacheName === cacheName);
    if (!cache) return { names: caches.map((c) => c.cacheName), entries: [] };
    const { cacheDataEntries } = await cdp.send('CacheStorage.requestEntries', {
      cacheId: cache.cacheId, skipCount: 0, pageSize: 500,
    });
    return {
      names: caches.map((c) => c.cacheName),
      entries: cacheDataEntries.map((entry) => ({
        url: entry.requestURL,
        headers: Object.fromEntries(entry.responseHeaders.map((h) => [h.name.toLowerCase(), h.value])),
      })),
    };
  } finally {
    await cdp.detach();
  }
}

export async function indexedDbRows(page: Page, databaseName: string, objectStoreName: string) {
  const cdp = await page.context().newCDPSession(page);
  try {
    const storageKey = await storageKeyOf(cdp);
    const { databaseNames } = await cdp.send('IndexedDB.requestDatabaseNames', { storageKey });
    if (!databaseNames.includes(databaseName)) return { databaseNames, rows: [] };
    const { objectStoreDataEntries } = await cdp.send('IndexedDB.requestData', {
      storageKey, databaseName, objectStoreName, skipCount: 0, pageSize: 500,
    });
    return {
      databaseNames,
      rows: objectStoreDataEntries.map((entry) => ({ key: entry.key.value as unknown, value: entry.value })),
    };
  } finally {
    await cdp.detach();
  }
}
