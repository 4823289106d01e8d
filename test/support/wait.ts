import type { Page } from 'playwright-core';

/**
 * Waits until the worker has cached `paths` (Cache Storage entry + IndexedDB metadata), as
 * the page sees it. Bounded: throws after `timeout`.
 */
export async function waitCached(page: Page, paths: string[], timeout = 10_000): Promise<void> {
  await page.waitForFunction(async (wanted) => {
    const cache = await caches.open('modrelay-v1');
    const metadata = await new Promise<Set<string>>((resolve) => {
      const open = indexedDB.open('modrelay');
      open.onsuccess = () => {
        const db = open.result;
        if (!db.objectStoreNames.contains('modules')) return resolve(new Set());
        const keys = db.transaction('modules').objectStore('modules').getAllKeys();
        keys.onsuccess = () => { resolve(new Set(keys.result as string[])); db.close(); };
        keys.onerror = () => resolve(new Set());
      };
      open.onerror = () => resolve(new Set());
    });
    for (const path of wanted) {
      const url = new URL(path, location.origin).href;
      if (!metadata.has(url) || !(await cache.match(url))) return false;
    }
    return true;
  }, paths, { timeout, polling: 100 });
}

/** Waits until the page heard `modrelay:update` for every path in `paths`. */
export async function waitUpdates(page: Page, paths: string[], timeout = 10_000): Promise<{ url: string; hash: string | null }[]> {
  await page.waitForFunction((wanted) => {
    const updates = (window as unknown as { __modrelay?: { updates: { url: string }[] } }).__modrelay?.updates ?? [];
    return wanted.every((path) => updates.some((u) => new URL(u.url).pathname === path));
  }, paths, { timeout, polling: 50 });
  return page.evaluate(() => (window as unknown as { __modrelay: { updates: { url: string; hash: string | null }[] } }).__modrelay.updates);
}

/** Waits until the worker reports its cache validated over a live link (relay:status). */
export async function waitValidated(page: Page, timeout = 10_000): Promise<void> {
  await page.evaluate((ms) => new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('worker did not report validated')), ms);
    navigator.serviceWorker.addEventListener('message', (event) => {
      if (event.data?.source === 'modrelay' && event.data.type === 'relay:status' && event.data.validated) {
        clearTimeout(timer);
        resolve();
      }
    });
  }), timeout);
}
