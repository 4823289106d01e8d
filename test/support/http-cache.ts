import type { Page } from 'playwright-core';
import { poll } from './wait.js';

/**
 * How this load got each module, from Resource Timing: `deliveryType` 'cache' with
 * `transferSize` 0 is the HTTP cache answering, no request sent; `workerMatchedSourceType`
 * is the static route that matched ('network': the worker's fetch handler never ran).
 */
export function moduleTimings(page: Page): Promise<Record<string, { delivery: string; transferSize: number; route: string }>> {
  return page.evaluate(() => Object.fromEntries(
    (performance.getEntriesByType('resource') as (PerformanceResourceTiming & { deliveryType: string; workerMatchedSourceType?: string })[])
      .filter((entry) => entry.name.endsWith('.mjs'))
      .map((entry) => [new URL(entry.name).pathname, {
        delivery: entry.deliveryType, transferSize: entry.transferSize, route: entry.workerMatchedSourceType ?? 'none',
      }]),
  ));
}

export const FROM_HTTP_CACHE = { delivery: 'cache', transferSize: 0, route: 'network' };

/** Waits until the page is controlled by the worker version with static routes (protocol/sw-url.ts). */
export async function waitRouted(page: Page): Promise<void> {
  await poll(() => page.evaluate(() => new URL(navigator.serviceWorker.controller?.scriptURL ?? location.href).searchParams.get('routed') === '1'));
}

