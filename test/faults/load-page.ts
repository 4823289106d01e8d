import type { Page } from 'playwright-core';

/** What the fault page's inline boot reports (see site.ts). */
export interface LoadResult {
  ok: boolean;
  exports?: number;
  revision?: string;
  length?: number;
  controlled?: boolean;
  error?: string;
}

/**
 * Navigates and waits (bounded) for the page's boot to report. A load that neither
 * resolves nor rejects within the bound counts as failed ("timeout").
 */
export async function loadPage(page: Page, url: string, timeoutMs = 30_000): Promise<LoadResult> {
  try {
    await page.goto(url, { waitUntil: 'commit', timeout: timeoutMs });
    const handle = await page.waitForFunction(() => (window as { __result?: unknown }).__result, undefined, {
      timeout: timeoutMs,
      polling: 50,
    });
    return (await handle.jsonValue()) as LoadResult;
  } catch (error) {
    return { ok: false, error: `harness: ${String(error).split('\n')[0]}` };
  }
}

/** The figures three's boot must report for a load to count as "the right code". */
export function isRightThree(result: LoadResult, expectedExports: number, revision: string): boolean {
  return result.ok && result.exports === expectedExports && result.revision === revision && result.length === 13;
}

/**
 * When the page first asked for each path (ms since the epoch, the clock the proxy stamps its
 * requests with), from its Resource Timing entries: a page's fetch answered by the worker starts
 * there, so a request of the same path reaching the server later is the worker's.
 */
export async function askedAt(page: Page): Promise<Map<string, number>> {
  const entries = await page.evaluate(() => performance.getEntriesByType('resource')
    .map((entry) => [new URL(entry.name).pathname, performance.timeOrigin + entry.startTime] as const));
  const asked = new Map<string, number>();
  for (const [path, at] of entries) if (!asked.has(path)) asked.set(path, at);
  return asked;
}
