import { describe, expect, test } from 'vitest';
import { serve } from '../../server/index.js';
import { browserSuite } from '../support/harness.js';
import { waitRouted } from '../support/http-cache.js';
import { appResult } from '../support/page-log.js';
import { sleep } from '../support/wait.js';

/**
 * What a warm reload under the default store costs besides the modules: the navigation races
 * the network against the worker (so a stopped worker's start-up is not waited for),
 * modrelay's client comes from its immutable copy in the HTTP cache (no fetch event), and `register()` does not fetch `sw.js` again on every load (a soft update
 * check per navigation would put a request, and a wait under load, on every reload).
 */
const h = browserSuite();

describe('warm reloads under the default store', () => {
  test('sw.js is not fetched again on warm reloads, the page is raced and the client read from its HTTP-cache copy, neither waited for', async () => {
    const site = await h.site({
      'app.mjs': "import { value } from './lib/value.mjs';\nwindow.__result = { value };\n",
      'lib/value.mjs': "export const value = 'v1';\n",
    });
    const requests: string[] = [];
    const log = { info() {}, warn() {}, debug: (line: string) => requests.push(line) };
    const server = await serve({ root: site.root, port: 0, relayPort: 0, log });
    h.defer(() => server.close());
    const { page } = await h.page();
    await page.goto(server.url);
    expect(await appResult(page)).toMatchObject({ value: 'v1' });
    await waitRouted(page);
    await page.reload();
    await sleep(500);
    const before = requests.filter((line) => line.includes('/sw.js')).length;
    const RELOADS = 10;
    for (let i = 0; i < RELOADS; i++) {
      await page.reload();
      expect(await appResult(page)).toMatchObject({ value: 'v1' });
    }
    await sleep(1500); // a soft update check runs after the navigation, when the worker is idle
    const during = requests.filter((line) => line.includes('/sw.js')).length - before;
    const routes = await page.evaluate(() => Object.fromEntries(
      (performance.getEntriesByType('resource') as (PerformanceResourceTiming & { workerMatchedSourceType?: string })[])
        .map((entry) => [new URL(entry.name).pathname, entry.workerMatchedSourceType ?? 'none']),
    ));
    const navigation = await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming & { workerMatchedSourceType?: string }).workerMatchedSourceType ?? 'none');
    expect(during).toBe(0);
    expect(navigation).toBe('race-network-and-fetch-handler');
    expect(routes).toEqual({
      '/boot.mjs': 'network', '/app.mjs': 'network', '/lib/value.mjs': 'network',
      '/@modrelay/client.mjs': 'network',
    });
  });
});
