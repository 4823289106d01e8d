import type { Page } from 'playwright-core';
import { idbEntries } from './idb.js';

/**
 * Calls `check` (typically a `page.evaluate` of an async test) until it resolves true. Not
 * `page.waitForFunction`: Playwright 1.65 does not await a predicate's promise there, so an
 * async predicate counts as true at once. Bounded: throws after `timeout`.
 */
export async function poll(check: () => Promise<boolean>, timeout = 10_000): Promise<void> {
  const until = Date.now() + timeout;
  for (;;) {
    if (await check()) return;
    if (Date.now() >= until) throw new Error(`poll: not true within ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Waits until the worker has cached `paths` (Cache Storage entry + IndexedDB metadata), as
 * the page sees it; with `kind`, until their metadata has that kind ('module': vouched for
 * by the relay). Bounded: throws after `timeout`.
 */
export async function waitCached(page: Page, paths: string[], options: { kind?: 'module' | 'shell'; timeout?: number } = {}): Promise<void> {
  let missing: string[] = [];
  await poll(async () => {
    const metadata = new Map(await idbEntries<{ kind: string }>(page, 'modrelay', 'modules'));
    const urls = paths.map((path) => new URL(path, page.url()).href);
    missing = urls.filter((url) => !metadata.has(url) || (options.kind && metadata.get(url)!.kind !== options.kind)).map((url) => `${url} (record)`);
    if (missing.length > 0) return false;
    missing = await page.evaluate(async (wanted) => {
      const cache = await caches.open('modrelay-v1');
      const absent: string[] = [];
      for (const url of wanted) if (!(await cache.match(url))) absent.push(`${url} (body)`);
      return absent;
    }, urls);
    return missing.length === 0;
  }, options.timeout).catch((error: Error) => {
    throw new Error(`${error.message}: not on disk: ${missing.join(', ')}`);
  });
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

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `change` (a write, a delete) and resolves once the relay at `relayUrl` has announced
 * `path` — its watcher saw the change — to a subscriber opened first. Bounded by `timeout`.
 */
export async function relayAnnounces(relayUrl: string, path: string, change: () => Promise<unknown>, timeout = 10_000): Promise<void> {
  const { default: WebSocket } = await import('ws');
  const ws = new WebSocket(relayUrl);
  try {
    const heard = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the relay did not announce ${path} within ${timeout} ms`)), timeout);
      ws.on('error', reject);
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (isBinary) return;
        const message = JSON.parse(data.toString()) as { type: string; modules?: { path: string }[]; paths?: string[] };
        if (message.modules?.some((entry) => entry.path === path) || message.paths?.includes(path)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('message', () => resolve()); // hello: subscribed before the change
      ws.once('error', reject);
    });
    await change();
    await heard;
  } finally {
    ws.close();
  }
}

/**
 * Waits until the worker has answered this page's report of what it loaded (pages of the
 * harness record every `modrelay:store` event): the copies it asked for are made, and the report
 * can no longer wake a worker a test is about to stop.
 */
export async function waitReported(page: Page, timeout = 10_000): Promise<void> {
  await poll(() => page.evaluate(() => ((window as unknown as { __stores?: unknown[] }).__stores?.length ?? 0) > 0), timeout);
}
