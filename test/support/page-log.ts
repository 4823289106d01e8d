import type { Page, Response } from 'playwright-core';

/** How the browser got one URL during a load. */
export interface Served {
  url: string;
  status: number;
  /** Answered by the service worker (Playwright's `response.fromServiceWorker()`). */
  fromSW: boolean;
  /** The `x-modrelay-source` header: cache | relay | network, or undefined. */
  source: string | undefined;
}

/**
 * Records every response a page (and its dedicated workers) receives, keyed by pathname
 * plus query. Call `reset()` before a load, `byPath()` after it.
 */
export function logResponses(page: Page) {
  const seen: Served[] = [];
  const pending = new Set<Promise<void>>();
  const onResponse = (response: Response) => {
    const job = response.allHeaders().then(
      (headers) => {
        seen.push({
          url: response.url(),
          status: response.status(),
          fromSW: response.fromServiceWorker(),
          source: headers['x-modrelay-source'],
        });
      },
      () => undefined,
    ).finally(() => pending.delete(job));
    pending.add(job);
  };
  page.on('response', onResponse);
  return {
    reset() {
      seen.length = 0;
    },
    /** pathname+search → the last response for it. */
    async byPath(): Promise<Map<string, Served>> {
      await Promise.all(pending);
      const map = new Map<string, Served>();
      for (const served of seen) {
        const url = new URL(served.url);
        map.set(url.pathname + url.search, served);
      }
      return map;
    },
  };
}

/** Waits for the test app to set `window.__result` and returns it. */
export async function appResult<T = Record<string, unknown>>(page: Page, timeout = 20_000): Promise<T> {
  await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result !== undefined, null, { timeout });
  return page.evaluate(() => (window as unknown as { __result: T }).__result);
}
