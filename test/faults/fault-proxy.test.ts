import http from 'node:http';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelay, type Relay } from '../../server/index.js';
import { BUDGET_MS } from '../../protocol/defaults.js';
import { launchChromium } from '../../scripts/chromium.js';
import { auditCaches, auditCopies } from './cache-audit.js';
import { isModulePath, startFaultProxy, type FaultKind, type FaultProxy } from './fault-proxy.js';
import { askedAt, isRightThree, loadPage, type LoadResult } from './load-page.js';
import { record, size } from './record.js';
import { startRelayTap, type RelayTap } from './relay-tap.js';
import { makeThreeSite, startSiteServer, type SiteServer, type TempSite } from './site.js';

/**
 * Issue 5, part 1: the proxy that breaks module responses, HTTP-only against modrelay.
 */
const HTTP_LOADS = size(10, 20);
const LOADS = 20;
const RATE = 0.01; // 1 % of module responses broken: with ~400 modules most HTTP loads fail

function get(url: string): Promise<{ status: number; declared: number; received: number; error?: string }> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      let received = 0;
      res.on('data', (c: Buffer) => (received += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, declared: Number(res.headers['content-length'] ?? -1), received }));
      res.on('error', (e) => resolve({ status: res.statusCode ?? 0, declared: Number(res.headers['content-length'] ?? -1), received, error: e.message }));
      res.on('aborted', () => resolve({ status: res.statusCode ?? 0, declared: Number(res.headers['content-length'] ?? -1), received, error: 'aborted' }));
    });
    req.on('error', (e) => resolve({ status: 0, declared: -1, received: 0, error: (e as NodeJS.ErrnoException).code ?? e.message }));
  });
}

describe('fault proxy breaks responses as told (node)', () => {
  let site: TempSite;
  let server: SiteServer;
  beforeAll(async () => {
    site = await makeThreeSite();
    server = await startSiteServer(site.root, 'ws://127.0.0.1:9/');
  });
  afterAll(async () => {
    await server?.close();
    await site?.remove();
  });

  it.each(['truncate', 'chunked', 'reset', 'stall'] as FaultKind[])('%s', async (kind) => {
    const proxy = await startFaultProxy({ target: server.url, seed: 1, rate: 1, kinds: [kind], stallMs: 200 });
    try {
      const result = await get(`${proxy.url}src/math/Vector3.js`);
      const clean = await get(`${proxy.url}index.html`);
      expect(clean.error).toBeUndefined();
      expect(proxy.stats.faults[kind]).toBe(1);
      if (kind === 'reset') expect(result.error).toBe('ECONNRESET');
      else if (kind === 'stall') expect([result.error, result.received]).toEqual([undefined, result.declared]);
      else expect(result.error).toBeDefined();
      if (kind === 'truncate') expect(result.received).toBeLessThan(result.declared);
    } finally {
      await proxy.close();
    }
  });
});

describe('three.js through a faulty proxy: HTTP-only against modrelay (browser)', () => {
  let site: TempSite;
  let server: SiteServer;
  let proxy: FaultProxy;
  let relay: Relay;
  let tap: RelayTap;
  let browser: Browser;
  let expected: LoadResult;

  beforeAll(async () => {
    site = await makeThreeSite();
    proxy = await startFaultProxy({ seed: 5, rate: 0, stallMs: 1500 });
    relay = await createRelay({ root: site.root, port: 0, allowOrigins: [proxy.origin] });
    tap = await startRelayTap(relay.url);
    server = await startSiteServer(site.root, tap.url, undefined, true);
    proxy.setTarget(server.url);
    browser = await launchChromium();
    // Control: with no faults the page loads; its figures are "the right code".
    const context = await browser.newContext();
    expected = await loadPage(await context.newPage(), `${proxy.url}index.html?mode=http`);
    await context.close();
    expect(expected.ok, expected.error).toBe(true);
  });
  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await server?.close();
    await tap?.close();
    await relay?.close();
    await site?.remove();
  });

  it(`HTTP-only: ${HTTP_LOADS} cold loads with ${RATE * 100} % of module responses broken`, async () => {
    proxy.setRate(RATE);
    proxy.resetStats();
    let failed = 0;
    for (let i = 0; i < HTTP_LOADS; i++) {
      const context = await browser.newContext();
      const result = await loadPage(await context.newPage(), `${proxy.url}index.html?mode=http`);
      await context.close();
      if (!isRightThree(result, expected.exports!, expected.revision!)) failed++;
    }
    const f = proxy.stats.faults;
    record({
      area: 'fault proxy',
      tried: `three (${expected.exports} exports) over plain HTTP, ${RATE * 100} % of module responses broken (seeded)`,
      times: HTTP_LOADS,
      happened: `${failed} of ${HTTP_LOADS} loads failed; faults injected: truncate ${f.truncate}, chunked ${f.chunked}, reset ${f.reset}, stall ${f.stall}`,
      pass: failed > 0,
    });
    // The proxy must really break HTTP, or the modrelay half below proves nothing.
    expect(failed).toBeGreaterThan(0);
  }, 600_000);

  it(`modrelay: ${LOADS} loads through the same proxy all succeed, no module fetched twice unless the relay lagged`, async () => {
    proxy.setRate(RATE);
    proxy.resetStats();
    const perContext = 5;
    let ok = 0;
    let needless = 0;
    let needlessFirst = 0;
    let lateLoads = 0;
    let lateFirstVisits = 0;
    let lateFetches = 0;
    let relayErrors = 0;
    let relayDuplicates = 0;
    let requestsForPushed = 0;
    let warmFetches = 0;
    let httpFaults = 0;
    let relayRequests = 0;
    let relayBodies = 0;
    let httpModules = 0;
    const failures: string[] = [];
    const badCache: string[] = [];
    let routedContexts = 0;
    let copyRequests = 0;
    let copyFaults = 0;
    let copiesChecked = 0;
    for (let c = 0; c < LOADS / perContext; c++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const travelled = new Map<string, number>();
      const relayed = new Map<string, number>();
      // Modules that came both ways, whose HTTP request reached the proxy at least the worker's
      // budget after the page asked for them: the worker gave up waiting for the relay's answer
      // (relay-answers.ts), the fallback the budget is for, whether the relay or the worker's own
      // busy thread was slow. One second fetch of each is counted apart, not as needless.
      const excused = new Set<string>();
      const needlessNow = () => [...travelled].reduce((sum, [path, n]) => sum + Math.max(0, n - 1 - (excused.has(path) ? 1 : 0)), 0);
      for (let i = 0; i < perContext; i++) {
        proxy.resetStats();
        tap.resetStats();
        const result = await loadPage(page, `${proxy.url}index.html?mode=relay`);
        const relayLate = tap.slowestAnswerMs() > BUDGET_MS;
        const asked = await askedAt(page);
        const thisLoad = new Map<string, number>();
        if (isRightThree(result, expected.exports!, expected.revision!)) ok++;
        else failures.push(`context ${c} load ${i}: ${JSON.stringify(result)}`);
        httpFaults += proxy.stats.log.length;
        const faulted = new Map<string, number>();
        for (const line of proxy.stats.log) {
          const path = line.slice(line.indexOf(' ') + 1);
          faulted.set(path, (faulted.get(path) ?? 0) + 1);
        }
        requestsForPushed += tap.stats.requestsForPushed;
        relayErrors += tap.stats.types.get('relay:module:error') ?? 0;
        if (i > 0) {
          for (const n of tap.stats.bodies.values()) warmFetches += n;
          for (const [path, n] of proxy.stats.requests) if (isModulePath(path)) warmFetches += n;
        }
        for (const n of tap.stats.requests.values()) relayRequests += n;
        for (const [path, n] of tap.stats.bodies) {
          thisLoad.set(path, (thisLoad.get(path) ?? 0) + n);
          relayed.set(path, (relayed.get(path) ?? 0) + n);
          relayBodies += n;
        }
        for (const [path, n] of proxy.stats.requests) {
          if (!isModulePath(path)) continue;
          httpModules += n;
          // A request that was answered with a fault had to be retried: not needless.
          const good = n - (faulted.get(path) ?? 0);
          thisLoad.set(path, (thisLoad.get(path) ?? 0) + good);
        }
        for (const [path, n] of thisLoad) {
          travelled.set(path, (travelled.get(path) ?? 0) + n);
          const since = asked.get(path);
          const fellBack = since !== undefined && (proxy.stats.requestTimes.get(path) ?? []).some((at) => at - since >= BUDGET_MS);
          if (n > 1 && fellBack) excused.add(path);
        }
        if (relayLate) lateLoads++;
        if (i === 0) {
          if (relayLate) lateFirstVisits++;
          needlessFirst += needlessNow();
          // The default store copies the page's files for the HTTP cache once it is quiet (through
          // this proxy too), then its routed version answers the warm loads: wait for that.
          const routed = await page.waitForFunction(() => navigator.serviceWorker.controller?.scriptURL.includes('routed=1'), undefined, { timeout: 30_000, polling: 100 })
            .then(() => true, () => false);
          if (routed) routedContexts++;
          for (const n of proxy.stats.copies.values()) copyRequests += n;
          copyFaults += proxy.stats.copyLog.length;
          proxy.resetStats();
        }
      }
      needless += needlessNow();
      lateFetches += excused.size;
      for (const n of relayed.values()) relayDuplicates += Math.max(0, n - 1);
      const audit = await auditCaches(page, site.root);
      badCache.push(...audit.bad);
      const copies = await auditCopies(page, site.root);
      copiesChecked += copies.copies;
      badCache.push(...copies.bad);
      await context.close();
    }
    record({
      area: 'fault proxy',
      tried: `three through the same proxy with modrelay (${LOADS / perContext} fresh browsers × ${perContext} loads)`,
      times: LOADS,
      happened: `${ok} of ${LOADS} loaded the right code; ${relayBodies} module bodies over the relay (${relayRequests} module:requests, ${requestsForPushed} of them for a path already announced in a push), ${httpModules} module requests over HTTP (${httpFaults} of them broken by the proxy), ${warmFetches} module fetches in the ${LOADS - LOADS / perContext} warm loads; ${lateLoads} loads (${lateFirstVisits} first visits) where the relay answered later than the budget; ${lateFetches} modules fetched over HTTP at least the budget after the page asked, and then pushed anyway; ${needless} needless re-fetches (${needlessFirst} of them in first visits, ${relayDuplicates} a second relay body for the same module; ${relayErrors} module:error answers); default store: ${routedContexts} of ${LOADS / perContext} browsers switched to the routed version after ${copyRequests} copy requests (${copyFaults} of them broken by the proxy), ${copiesChecked} HTTP-cache copies checked against disk; ${badCache.length} bad cache entries or copies`,
      pass: ok === LOADS && needless === 0 && lateFirstVisits < LOADS / perContext && badCache.length === 0 && routedContexts > 0 && copiesChecked > 0,
    });
    expect(failures).toEqual([]);
    expect(needless).toBe(0);
    // …and the relay was on time for at least one first visit: else nothing above was put to the test.
    expect(lateFirstVisits).toBeLessThan(LOADS / perContext);
    expect(badCache).toEqual([]);
    // At least one browser went routed with copies made through the faulty proxy (see the row for
    // how many: a worker whose link never validates stays on the worker-answered path, correct but slower).
    expect(routedContexts).toBeGreaterThan(0);
    expect(copiesChecked).toBeGreaterThan(0);
  }, 600_000);

  it('relay unreachable: truncated HTTP responses the SW got are never cached, and the next load is right', async () => {
    proxy.setRate(0.05);
    proxy.resetStats();
    await tap.stop();
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      const down = await loadPage(page, `${proxy.url}index.html?mode=relay`);
      const broken = proxy.stats.log.filter((l) => /^(truncate|chunked|reset)/.test(l));
      const afterDown = await auditCaches(page, site.root);
      await tap.start();
      proxy.setRate(RATE);
      const up = await loadPage(page, `${proxy.url}index.html?mode=relay`);
      const afterUp = await auditCaches(page, site.root);
      record({
        area: 'fault proxy',
        tried: 'relay unreachable, SW falls back to HTTP through the proxy (5 % broken), then relay back',
        times: 1,
        happened: `${broken.length} broken HTTP responses; load while down ${down.ok ? 'succeeded' : 'failed'}; ${afterDown.entries.length} cached entries, ${afterDown.bad.length} bad; load after relay back ${isRightThree(up, expected.exports!, expected.revision!) ? 'right' : 'WRONG'}, ${afterUp.bad.length} bad entries`,
        pass: broken.length > 0 && afterDown.bad.length === 0 && afterUp.bad.length === 0 && isRightThree(up, expected.exports!, expected.revision!),
      });
      expect(broken.length).toBeGreaterThan(0);
      expect(afterDown.bad).toEqual([]);
      expect(up).toMatchObject({ ok: true, exports: expected.exports, revision: expected.revision });
      expect(afterUp.bad).toEqual([]);
    } finally {
      await context.close();
      await tap.start();
    }
  }, 120_000);
});
