import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../scripts/chromium.js';
import { auditCaches } from './cache-audit.js';
import { isRightThree, loadPage, type LoadResult } from './load-page.js';
import { record, size } from './record.js';
import { startRelayProcess, type RelayProcess } from './relay-process.js';
import { makeThreeSite, startSiteServer, type SiteServer, type TempSite } from './site.js';

/**
 * Issue 5, part 2: the relay dies (SIGKILL) mid-load and comes back, the Service Worker is
 * stopped mid-load, the origin runs out of storage. Each time the page must load the right
 * code and every cached body must be the file on disk.
 */
const TIMES = size(1, 3);
/** Module requests seen before the fault is injected: well inside a ~390-module cold load. */
const AFTER_REQUESTS = 60;
/** Where the relay dies, in module requests: early (its push burst still on the wire) to late. */
const KILL_AFTER = size([5], [1, 5, 60, 200]);

describe('relay and Service Worker faults during a three.js load (browser)', () => {
  let site: TempSite;
  let relay: RelayProcess;
  let server: SiteServer;
  let browser: Browser;
  let expected: LoadResult;
  let pageUrl: string;

  beforeAll(async () => {
    site = await makeThreeSite();
    server = await startSiteServer(site.root, () => relay.url);
    relay = await startRelayProcess(site.root, ['--allow-origin', server.origin]);
    pageUrl = `${server.url}index.html?mode=relay`;
    browser = await launchChromium();
    const context = await browser.newContext();
    expected = await loadPage(await context.newPage(), `${server.url}index.html?mode=http`);
    await context.close();
    expect(expected.ok, expected.error).toBe(true);
  });
  afterAll(async () => {
    await browser?.close();
    await relay?.kill('SIGKILL');
    await server?.close();
    await site?.remove();
  });

  const right = (r: LoadResult) => isRightThree(r, expected.exports!, expected.revision!);

  /** Resolves once the page has issued `n` module requests (bounded). */
  function moduleRequests(page: Page, n: number, timeoutMs = 30_000): Promise<boolean> {
    return new Promise((resolve) => {
      let seen = 0;
      const timer = setTimeout(() => resolve(false), timeoutMs);
      page.on('request', (req) => {
        if (req.url().includes('/src/') && ++seen === n) {
          clearTimeout(timer);
          resolve(true);
        }
      });
    });
  }

  /** Collects the page's failed requests ("path errorText"), to say which module broke a load. */
  function failedRequests(page: Page): string[] {
    const failed: string[] = [];
    page.on('requestfailed', (req) => failed.push(`${new URL(req.url()).pathname} ${req.failure()?.errorText ?? ''}`));
    return failed;
  }

  async function restartRelay(): Promise<void> {
    if (relay.alive()) return;
    relay = await startRelayProcess(site.root, ['--port', String(relay.port), '--allow-origin', server.origin]);
  }

  async function withContext<T>(run: (context: BrowserContext, page: Page) => Promise<T>): Promise<T> {
    const context = await browser.newContext();
    try {
      return await run(context, await context.newPage());
    } finally {
      await context.close();
    }
  }

  it('SIGKILL of the relay in the middle of a cold load, then a restart', async () => {
    const outcomes: string[] = [];
    const bad: string[] = [];
    for (const killAfter of KILL_AFTER) {
      await withContext(async (_context, page) => {
        const midway = moduleRequests(page, killAfter);
        const failed = failedRequests(page);
        const loading = loadPage(page, pageUrl);
        const reached = await midway;
        const how = await relay.kill('SIGKILL');
        const during = await loading;
        const cachedDuring = await auditCaches(page, site.root);
        await restartRelay();
        const after = await loadPage(page, pageUrl);
        const cachedAfter = await auditCaches(page, site.root);
        bad.push(...cachedDuring.bad, ...cachedAfter.bad);
        outcomes.push(`killed after ${killAfter} requests${reached ? '' : ' (late)'} (${how}): load ${right(during) ? 'right' : `WRONG ${JSON.stringify(during)} (failed requests: ${failed.slice(0, 3).join(', ')})`}, after restart ${right(after) ? 'right' : `WRONG ${JSON.stringify(after)}`}, cache ${cachedDuring.modules}→${cachedAfter.modules} modules`);
      });
    }
    const ok = outcomes.filter((o) => !o.includes('WRONG')).length;
    record({
      area: 'relay faults',
      tried: `SIGKILL \`modrelay relay\` after ${KILL_AFTER.join(' / ')} module requests of a cold three load; restart on the same port; reload`,
      times: KILL_AFTER.length,
      happened: `${ok}/${KILL_AFTER.length} runs loaded the right code both times; ${bad.length} cached bodies differing from disk. ${outcomes.join('; ')}`,
      pass: ok === KILL_AFTER.length && bad.length === 0,
    });
    expect(outcomes.filter((o) => o.includes('WRONG'))).toEqual([]);
    expect(bad).toEqual([]);
  }, 300_000);

  it('Service Worker stopped (CDP ServiceWorker.stopAllWorkers) in the middle of a load', async () => {
    const outcomes: string[] = [];
    const bad: string[] = [];
    for (let t = 0; t < TIMES; t++) {
      await withContext(async (context, page) => {
        const cdp = await context.newCDPSession(page);
        await cdp.send('ServiceWorker.enable');
        // A first load installs the SW; the fault hits the second (controlled from the start).
        const first = await loadPage(page, pageUrl);
        const midway = moduleRequests(page, AFTER_REQUESTS);
        // Evict the modules the first load cached so the second really goes to the relay.
        await page.evaluate(async () => {
          for (const name of await caches.keys()) await caches.delete(name);
        });
        const failed = failedRequests(page);
        const loading = loadPage(page, pageUrl);
        const reached = await midway;
        await cdp.send('ServiceWorker.stopAllWorkers');
        const during = await loading;
        const cachedDuring = await auditCaches(page, site.root);
        const after = await loadPage(page, pageUrl);
        const cachedAfter = await auditCaches(page, site.root);
        bad.push(...cachedDuring.bad, ...cachedAfter.bad);
        outcomes.push(`${reached ? 'stopped midway' : 'stopped late'}: first ${right(first) ? 'right' : 'WRONG'}, during ${right(during) ? 'right' : `WRONG ${JSON.stringify(during)} (failed requests: ${failed.slice(0, 3).join(', ')})`}, next ${right(after) ? 'right' : `WRONG ${JSON.stringify(after)}`}`);
      });
    }
    const ok = outcomes.filter((o) => !o.includes('WRONG')).length;
    record({
      area: 'relay faults',
      tried: `Service Worker stopped through CDP after ${AFTER_REQUESTS} module requests of a load (Cache Storage emptied first)`,
      times: TIMES,
      happened: `${ok}/${TIMES} runs loaded the right code; ${bad.length} cached bodies differing from disk. ${outcomes.find((o) => o.includes('WRONG')) ?? outcomes[0]}`,
      pass: ok === TIMES && bad.length === 0,
    });
    expect(outcomes.filter((o) => o.includes('WRONG'))).toEqual([]);
    expect(bad).toEqual([]);
  }, 300_000);

  it('storage quota too small for the module graph (CDP Storage.overrideQuotaForOrigin)', async () => {
    const outcomes: string[] = [];
    const bad: string[] = [];
    for (let t = 0; t < TIMES; t++) {
      await withContext(async (context, page) => {
        const cdp = await context.newCDPSession(page);
        // three's src is several MiB; 512 KiB fills up a fraction into the first load.
        await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.origin, quotaSize: 512 * 1024 });
        const first = await loadPage(page, pageUrl);
        const cachedFirst = await auditCaches(page, site.root);
        const second = await loadPage(page, pageUrl);
        const cachedSecond = await auditCaches(page, site.root);
        const bytes = cachedSecond.entries.reduce((s, e) => s + e.size, 0);
        bad.push(...cachedFirst.bad, ...cachedSecond.bad);
        outcomes.push(`first ${right(first) ? 'right' : `WRONG ${JSON.stringify(first)}`}, second ${right(second) ? 'right' : `WRONG ${JSON.stringify(second)}`}, ${cachedSecond.modules} modules (${(bytes / 1024).toFixed(0)} KiB) cached under a 512 KiB quota`);
      });
    }
    const ok = outcomes.filter((o) => !o.includes('WRONG')).length;
    record({
      area: 'relay faults',
      tried: 'origin quota overridden to 512 KiB, then two loads of three',
      times: TIMES,
      happened: `${ok}/${TIMES} runs loaded the right code twice; ${bad.length} cached bodies differing from disk. ${outcomes[0]}`,
      pass: ok === TIMES && bad.length === 0,
    });
    expect(outcomes.filter((o) => o.includes('WRONG'))).toEqual([]);
    expect(bad).toEqual([]);
  }, 300_000);
});
