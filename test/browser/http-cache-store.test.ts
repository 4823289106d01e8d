import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { createRelay, serve, type Server } from '../../server/index.js';
import { CLIENT_PATH } from '../../protocol/defaults.js';
import { startFaultProxy, type FaultProxyOptions } from '../faults/fault-proxy.js';
import { startRelayTap, type RelayTap } from '../faults/relay-tap.js';
import { browserSuite, type BrowserHarness } from '../support/harness.js';
import { idbEntries, idbWrite } from '../support/idb.js';
import { appResult } from '../support/page-log.js';
import { FROM_HTTP_CACHE, moduleTimings, waitRouted } from '../support/http-cache.js';
import { poll, relayAnnounces, sleep, waitReported } from '../support/wait.js';

/**
 * `store: 'http-cache'`: the modules live in the browser's HTTP cache as immutable copies
 * the worker tracks, and module fetches never reach the worker (static routes). What must
 * hold: warm reloads never leave the page and never touch the worker, and no reload ever
 * runs an old module — edit with the page open, edit while the worker is stopped, the boot
 * script itself edited, relay down, file deleted — and offline reloads still run.
 */
const FILES = {
  'app.mjs': `import { value } from './lib/value.mjs';\nimport { stable } from './lib/stable.mjs';\nwindow.__result = { value, stable, boot: window.__boot };\n`,
  'lib/value.mjs': `export const value = 'v1';\n`,
  'lib/stable.mjs': `export const stable = 'stable';\n`,
};
const MODULES = ['/boot.mjs', '/app.mjs', '/lib/value.mjs', '/lib/stable.mjs'];

const h = browserSuite();

/** pathname → hash of the copies the worker recorded (IndexedDB `modrelay-http-cache`). */
async function copies(page: Page): Promise<Record<string, string | null>> {
  const rows = await idbEntries<{ hash: string | null }>(page, 'modrelay-http-cache', 'copies');
  return Object.fromEntries(rows.map(([url, copy]) => [new URL(url).pathname, copy.hash]));
}

/** Waits until every module of the page has a recorded copy with a known hash. */
async function waitCopied(page: Page, paths = MODULES): Promise<void> {
  await poll(async () => {
    const recorded = await copies(page);
    return paths.every((path) => typeof recorded[path] === 'string');
  });
}

async function stopWorker(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  let stopped!: () => void;
  const heard = new Promise<void>((resolve) => { stopped = resolve; });
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
    if (versions.some((version) => version.runningStatus === 'stopped')) stopped();
  });
  await cdp.send('ServiceWorker.enable');
  await cdp.send('ServiceWorker.stopAllWorkers');
  // The status event trails the command; bounded, with a clear failure.
  await Promise.race([heard, sleep(5000).then(() => { throw new Error('the worker did not report stopped within 5 s'); })]);
  await cdp.detach();
}

function status(page: Page): Promise<string> {
  return page.evaluate(() => (window as unknown as { __modrelay: { status: string } }).__modrelay.status);
}

/** A first visit and the reload after it; `relayOf` points the page at another relay (a tap). */
async function visit(h: BrowserHarness, files: Record<string, string> = FILES, relayOf?: (server: Server) => Promise<string>) {
  const site = await h.site(files);
  const server = await h.serve(site.root);
  const { context, page, log } = await h.page();
  const relay = relayOf ? `&relay=${encodeURIComponent(await relayOf(server))}` : '';
  await page.goto(`${server.url}${relay ? `?${relay.slice(1)}` : ""}`); // the default store
  expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
  // A first visit is answered by the worker (through the relay), then copied for the HTTP cache
  // and handed to the routed version of the worker.
  expect(await status(page)).toBe('controlled');
  await waitCopied(page);
  await waitRouted(page);
  // Copying announces nothing: the worker's own answers are not mistaken for untracked copies.
  expect(await page.evaluate(() => (window as unknown as { __modrelay: { updates: unknown[] } }).__modrelay.updates)).toEqual([]);
  // The steady state: this tab ran the immutable copies, so Blink's memory cache holds them
  // too (it outlives a reload; only a fetch by the page replaces an entry).
  await page.reload();
  expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
  expect(await status(page)).toBe('controlled');
  // The page reports its modules once its loads go quiet; let that report land now,
  // so it cannot wake a worker a test has stopped.
  await waitReported(page);
  return { site, server, context, page, log };
}

/**
 * A first visit through a fault proxy in front of `serve` (its relay allows the proxy's
 * origin): every response `faultable` picks is held (`kinds` `stall` or `delay`, `stallMs`).
 */
async function visitBehindProxy(h: BrowserHarness, faults: Pick<FaultProxyOptions, 'kinds' | 'stallMs' | 'faultable'>) {
  const site = await h.site(FILES);
  const proxy = await startFaultProxy({ seed: 1, rate: 1, ...faults });
  h.defer(() => proxy.close());
  const server = await serve({ root: site.root, port: 0, relayPort: 0, allowOrigins: [proxy.origin] });
  h.defer(() => server.close());
  proxy.setTarget(server.url.replace(/\/$/, ''));
  const { context, page } = await h.page();
  await page.goto(proxy.url);
  expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
  return { proxy, server, context, page };
}

describe("store: 'http-cache'", () => {
  test('a warm reload takes every module from the HTTP cache: no request leaves the page, none reaches the worker', async () => {
    const { page, log } = await visit(h);
    log.reset();
    await page.reload();
    expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
    const timings = await moduleTimings(page);
    for (const path of MODULES) expect(timings[path], path).toEqual(FROM_HTTP_CACHE);
    // So does modrelay's own client: the worker copies it too, and revalidates it after
    // each load (sw/http-cache/client-copy.ts).
    expect(timings['/@modrelay/client.mjs']).toEqual(FROM_HTTP_CACHE);
    const served = await log.byPath();
    for (const path of MODULES) expect(served.get(path)?.fromSW, path).toBe(false);
  });

  test('the relay moved (modrelay serve restarted on another relay port): the worker follows it from the load after the one that noticed the new client', async () => {
    const { site, server, page } = await visit(h);
    const port = Number(new URL(server.url).port);
    const relayOf = () => page.evaluate(() => new URL(navigator.serviceWorker.controller!.scriptURL).searchParams.get('relay'));
    expect(await relayOf()).toBe(server.relay.url);
    await server.close();
    const moved = await h.serve(site.root, { port });
    expect(moved.relay.url).not.toBe(server.relay.url);
    // This load runs the client copied before (its relay is gone: modules from the HTTP cache,
    // revalidated over HTTP); after it the worker revalidates the client and finds the new one.
    await page.reload();
    expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
    const copied = () => page.evaluate(async () => (await fetch('/@modrelay/client.mjs', { cache: 'force-cache' })).text());
    await poll(async () => (await copied()).includes(moved.relay.url));
    // The next load runs it: it registers the worker for the moved relay, and edits arrive again.
    await page.reload();
    expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
    await poll(async () => (await relayOf()) === moved.relay.url).catch(async (error: Error) => {
      // Seen once in a full run: say where the new version stood (installing, waiting, active).
      const workers = await page.evaluate(async () => {
        const registration = await navigator.serviceWorker.getRegistration();
        const describe = (worker: ServiceWorker | null | undefined) => worker && `${worker.state} ${worker.scriptURL}`;
        return { controller: navigator.serviceWorker.controller?.scriptURL, active: describe(registration?.active), waiting: describe(registration?.waiting), installing: describe(registration?.installing) };
      });
      throw new Error(`${error.message}; the page's client is ${(await copied()).includes(moved.relay.url) ? 'the new one' : 'the old one'}; workers: ${JSON.stringify(workers)}`);
    });
    await page.reload();
    expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
    await site.write('lib/value.mjs', `export const value = 'v2';\n`);
    await poll(() => page.evaluate(() => (window as unknown as { __modrelay: { updates: { url: string }[] } }).__modrelay.updates
      .some((update) => update.url.endsWith('/lib/value.mjs'))));
    await page.reload();
    expect(await appResult(page)).toMatchObject({ value: 'v2', stable: 'stable' });
  });

  test('a reload while the page switches to the routed version registers nothing: the switch completes, and the load after it is routed and works offline', async () => {
    // The proxy can hold the routed version's script, so the reload lands mid-switch.
    let holdScript = false;
    const { proxy, server, context, page } = await visitBehindProxy(h, { kinds: ['stall'], stallMs: 2000, faultable: (path) => holdScript && path === '/sw.js' });
    holdScript = true;
    proxy.resetStats();
    await waitCopied(page);
    // The page asked for the routed version: its script is on its way, held by the proxy.
    await poll(async () => proxy.stats.requests.get('/sw.js') === 1);
    // The version without routes still controls the page; the reload must not register it again.
    await page.reload();
    expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
    await waitRouted(page);
    // Only the routed version was asked for (twice when the reload cancelled the first fetch).
    const scripts = proxy.stats.urls.filter((url) => url.startsWith('/sw.js'));
    expect(scripts.length).toBeGreaterThan(0);
    for (const url of scripts) expect(new URLSearchParams(url.split('?')[1]).get('routed'), url).toBe('1');
    await page.reload();
    expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
    const timings = await moduleTimings(page);
    for (const path of [...MODULES, CLIENT_PATH]) expect(timings[path], path).toEqual(FROM_HTTP_CACHE);
    await Promise.all([proxy.close(), server.close()]);
    await context.setOffline(true);
    await page.reload();
    expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
  });

  test("a load the old version answers after the routed one installed cannot spoil the client's copy: the first routed load imports it from the HTTP cache", async () => {
    // The proxy can hold the old version's network-first fetch of a page: the old version
    // stays busy, so the routed one, once installed, waits to activate and the reload is
    // answered by the old one, which revalidates the client on its way.
    let holdPage = false;
    const { proxy, page } = await visitBehindProxy(h, { kinds: ['delay'], stallMs: 3000, faultable: (path, copy) => holdPage && !copy && path === '/' });
    // Before the page reports its loads (and so before the switch).
    holdPage = true;
    await page.evaluate((url) => document.body.append(Object.assign(document.createElement('iframe'), { src: url })), `${proxy.url}?held`);
    await waitCopied(page);
    const waiting = () => page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.waiting?.scriptURL ?? '');
    await poll(async () => (await waiting()).includes('routed=1'));
    await page.reload();
    expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
    expect(proxy.stats.log).toEqual(['delay /', 'delay /']); // the frame's page and the reload's, both through the old version
    holdPage = false;
    // The old version goes idle (and the routed one activates) once no page needs it and it
    // finished what it was doing: a report it was copying for (bounded: sw/pages/messages.ts) or a
    // load it was waiting out (sw/fetch/loads.ts). A page it still controls keeps it up to its idle
    // timeout (30 s).
    const cdp = await page.context().newCDPSession(page);
    let routedActive = false;
    cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
      routedActive ||= versions.some((version) => version.scriptURL.includes('routed=1') && version.status === 'activated');
    });
    await cdp.send('ServiceWorker.enable');
    await page.goto('about:blank');
    const released = Date.now();
    await poll(async () => routedActive, 40_000);
    console.log(`[test] the routed version activated ${Date.now() - released} ms after the page left`);
    await cdp.detach();
    await page.goto(proxy.url);
    expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
    expect((await moduleTimings(page))[CLIENT_PATH]).toEqual(FROM_HTTP_CACHE);
  });

  test('an edit with the page open: modrelay:update comes after the copy was replaced, and the reload runs the new code from the HTTP cache', async () => {
    const { site, page } = await visit(h);
    const before = await copies(page);
    // What an app's handler fetches the moment the event arrives: the HTTP cache answers it
    // (routed), so an old immutable copy would give v1.
    await page.evaluate(() => addEventListener('modrelay:update', (event) => {
      void fetch((event as CustomEvent<{ url: string }>).detail.url).then((response) => response.text()).then((text) => { (window as unknown as { __fetched: string }).__fetched = text; });
    }));
    const v2 = `export const value = 'v2';\n`;
    await site.write('lib/value.mjs', v2);
    await poll(() => page.evaluate(() => (window as unknown as { __fetched?: string }).__fetched !== undefined));
    expect(await page.evaluate(() => (window as unknown as { __fetched: string }).__fetched)).toBe(v2);
    // The edited file's record stays unknown in IndexedDB (the worker knows its hash, so its
    // next edit has nothing to write before the copy); the others keep theirs.
    const after = await copies(page);
    expect(after['/lib/value.mjs']).toBeNull();
    expect(after['/lib/stable.mjs']).toBe(before['/lib/stable.mjs']);
    await page.reload();
    expect(await appResult(page)).toMatchObject({ value: 'v2', stable: 'stable' });
    expect((await moduleTimings(page))['/lib/value.mjs']).toEqual(FROM_HTTP_CACHE);
    // A worker that starts again copies it once more and records its hash.
    await stopWorker(page);
    await page.reload();
    expect(await appResult(page)).toMatchObject({ value: 'v2', stable: 'stable' });
    await poll(async () => (await copies(page))['/lib/value.mjs'] === createHash('sha256').update(v2).digest('hex'));
  });

  test('a page that reloads the moment modrelay:update arrives runs the new code', async () => {
    const { site, page } = await visit(h);
    await page.evaluate(() => addEventListener('modrelay:update', () => location.reload()));
    await site.write('lib/value.mjs', `export const value = 'v2';\n`);
    await poll(() => page.evaluate(() => (window as unknown as { __result?: { value?: string } }).__result?.value === 'v2').catch(() => false));
  });

  test('an edit while the worker is stopped is caught before the page imports', async () => {
    const { site, server, page } = await visit(h);
    await stopWorker(page);
    // The relay's watcher sees it; no worker is connected to hear it.
    await relayAnnounces(server.relay.url, '/lib/value.mjs', () => site.write('lib/value.mjs', `export const value = 'v2';\n`));
    await page.reload();
    expect(await appResult(page)).toMatchObject({ value: 'v2', stable: 'stable' });
  });

  test('the boot script edited while the page ran it: the next load reloads itself once and runs the new one', async () => {
    const bootV1 = (await import('../support/site.js')).STANDARD_FILES['boot.mjs']!;
    const withBoot = (tag: string) => ({ ...FILES, 'boot.mjs': `window.__boot = '${tag}';\n${bootV1}` });
    const { site, server, page } = await visit(h, withBoot('b1'));
    expect(await appResult(page)).toMatchObject({ boot: 'b1' });
    // The edit happens with no relay to announce it, so the open page never hears of it even
    // if something wakes the worker meanwhile; the next load must find it on its own.
    await server.relay.close();
    await site.write('boot.mjs', withBoot('b2')['boot.mjs']);
    const relay = await createRelay({ root: site.root, port: server.relay.port, allowOrigins: [new URL(server.url).origin] });
    h.defer(() => relay.close());
    await stopWorker(page);
    let navigations = 0;
    page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) navigations++; });
    await page.reload();
    // (The client's own reload can destroy the page mid-check: that check is just not true yet.)
    await poll(() => page.evaluate(() => (window as unknown as { __result?: { boot?: string } }).__result?.boot === 'b2').catch(() => false));
    expect(await appResult(page)).toEqual({ value: 'v1', stable: 'stable', boot: 'b2' });
    expect(navigations).toBe(2); // our reload, then the client's one
  });

  test('relay down: the copies are revalidated over HTTP, so an edit is still seen', async () => {
    const { site, server, page } = await visit(h);
    await stopWorker(page);
    await server.relay.close();
    await site.write('lib/value.mjs', `export const value = 'v2';\n`);
    await page.reload();
    expect(await appResult(page)).toMatchObject({ value: 'v2', stable: 'stable' });
    // And when the relay is back, the worker's records agree with it again.
    const relay = await createRelay({ root: site.root, port: server.relay.port, allowOrigins: [new URL(server.url).origin] });
    h.defer(() => relay.close());
    await relayAnnounces(relay.url, '/lib/value.mjs', () => site.write('lib/value.mjs', `export const value = 'v3';\n`));
    await stopWorker(page);
    await page.reload();
    expect(await appResult(page)).toMatchObject({ value: 'v3', stable: 'stable' });
  });

  test('a relay that refuses the page\'s origin: nobody vouches for the copies, and every edit is still seen over HTTP', async () => {
    // The relay a misconfigured page points at (no --allow-origin for it): the version without
    // static routes answers every module over HTTP, and the immutable copies it made in the
    // HTTP cache must not answer for the server.
    const site = await h.site(FILES);
    const server = await h.serve(site.root);
    const refusing = await createRelay({ root: site.root, port: 0 });
    h.defer(() => refusing.close());
    const { page } = await h.page();
    await page.goto(`${server.url}?relay=${encodeURIComponent(refusing.url)}`);
    expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
    // The copies are in the HTTP cache (immutable), their hashes unverified.
    await poll(async () => (await page.evaluate(() => {
      const channel = new MessageChannel();
      const reply = new Promise<string>((resolve) => { channel.port1.onmessage = (event) => resolve(String(event.data.store?.reason)); });
      navigator.serviceWorker.controller!.postMessage({ source: 'modrelay', type: 'status' }, [channel.port2]);
      return reply;
    })).includes('not vouched for'));
    for (const value of ['v2', 'v3']) {
      await site.write('lib/value.mjs', `export const value = '${value}';\n`);
      await page.reload();
      expect(await appResult(page)).toMatchObject({ value, stable: 'stable' });
    }
    expect(await status(page)).toBe('controlled');
  });

  test('a copy a stopped worker left unknown is made again at the next start before the page imports: an edit made meanwhile is seen', async () => {
    const { site, server, page } = await visit(h);
    await stopWorker(page);
    // What a worker stopped between recording a copy as unknown (before its fetch) and
    // recording its hash leaves behind: the next start cannot send the relay a hash for it.
    const url = `${server.url}lib/value.mjs`;
    const [, record] = (await idbEntries<object>(page, 'modrelay-http-cache', 'copies')).find(([key]) => key === url)!;
    await idbWrite(page, 'modrelay-http-cache', 'copies', url, { ...record, hash: null });
    // And Cache Storage no longer holds the file (an edit the worker heard of dropped it):
    // no store has a hash of it to send.
    await idbWrite(page, 'modrelay', 'modules', url, null);
    const v2 = `export const value = 'v2';\n`;
    await relayAnnounces(server.relay.url, '/lib/value.mjs', () => site.write('lib/value.mjs', v2));
    await page.reload();
    expect(await appResult(page)).toMatchObject({ value: 'v2', stable: 'stable' });
    // Within the page's wait for the worker, not after it gave up on it.
    expect(await status(page)).toBe('controlled');
    expect((await copies(page))['/lib/value.mjs']).toBe(createHash('sha256').update(v2).digest('hex'));
  });

  test('a hard reload (the browser bypasses the worker) does not wait for control, registers nothing new, and the next load is the worker\'s again', async () => {
    const { site, server, page } = await visit(h);
    const versions = () => page.evaluate(async () => {
      const registration = await navigator.serviceWorker.getRegistration();
      return [registration?.installing, registration?.waiting, registration?.active].map((worker) => worker?.scriptURL ?? null);
    });
    const before = await versions();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Page.reload', { ignoreCache: true }); // Shift+Reload
    await cdp.detach();
    expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
    // 'bypassed', not 'timeout': it did not wait out the 5 s for a claim that never comes.
    expect(await status(page)).toBe('bypassed');
    expect(await page.evaluate(() => navigator.serviceWorker.controller)).toBeNull();
    await sleep(1500); // what an install started by this load would need to show
    expect(await versions()).toEqual(before); // the routed version, alone
    expect(before[2]).toContain('routed=1');
    await relayAnnounces(server.relay.url, '/lib/value.mjs', () => site.write('lib/value.mjs', `export const value = 'v2';\n`));
    await page.reload();
    expect(await appResult(page)).toMatchObject({ value: 'v2', stable: 'stable' });
    expect(await status(page)).toBe('controlled');
    // And warm: the bypassing load did not replace the copies.
    const timings = await moduleTimings(page);
    for (const path of MODULES) expect(timings[path], path).toEqual(FROM_HTTP_CACHE);
  });

  test('a records database created empty by someone else (a DevTools snippet) is started again, not given up', async () => {
    const site = await h.site(FILES);
    const server = await h.serve(site.root);
    const { page } = await h.page();
    await page.goto(`${server.url}empty.html`);
    await page.evaluate(() => new Promise((resolve) => {
      const open = indexedDB.open('modrelay-http-cache'); // created without the worker's object store
      open.onsuccess = () => resolve(open.result.close());
    }));
    await page.goto(`${server.url}?store=http-cache`);
    expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
    // A database exists, so the client could not call it a first visit; it waited for the worker.
    expect(await status(page)).toBe('controlled');
    await waitCopied(page);
  });

  test('records lost while the HTTP cache kept its copies: the untracked old copy is noticed and announced, and the next load is right', async () => {
    const { site, server, page } = await visit(h);
    // Leave the page (nothing of it can wake the worker any more), stop the worker (its
    // records in memory go with it), then clear IndexedDB alone, as DevTools can, or the
    // browser under storage pressure: the HTTP cache keeps the copies nobody tracks any more.
    await page.goto('about:blank');
    await stopWorker(page);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Storage.clearDataForOrigin', { origin: new URL(server.url).origin, storageTypes: 'indexeddb' });
    await cdp.detach();
    await relayAnnounces(server.relay.url, '/lib/value.mjs', () => site.write('lib/value.mjs', `export const value = 'v2';\n`));

    await page.goto(`${server.url}?store=http-cache`);
    // No record says a copy exists, so this load takes the untracked copy as it is…
    expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
    // …but the page reported that it came from a cache with no request: the worker copies it
    // again and announces it like an edit.
    await poll(() => page.evaluate(() => (window as unknown as { __modrelay: { updates: { url: string }[] } }).__modrelay.updates
      .some((update) => update.url.endsWith('/lib/value.mjs'))));
    await page.reload();
    expect(await appResult(page)).toMatchObject({ value: 'v2', stable: 'stable' });
  });

  test('a deleted module is not served from an old copy', async () => {
    const { site, page } = await visit(h);
    await site.remove('lib/stable.mjs');
    await poll(() => page.evaluate(() => (window as unknown as { __modrelay: { updates: { url: string; hash: string | null }[] } }).__modrelay.updates
      .some((update) => update.url.endsWith('/lib/stable.mjs') && update.hash === null)));
    expect(await page.evaluate(() => fetch('/lib/stable.mjs').then((response) => response.status))).toBe(404);
    expect(Object.keys(await copies(page))).not.toContain('/lib/stable.mjs');
  });

  test('a restarted worker validates both of its stores in one manifest:check, and the edit it finds is served', async () => {
    let tap: RelayTap | undefined;
    const { site, server, page } = await visit(h, FILES, async (server) => {
      tap = await startRelayTap(server.relay.url);
      h.defer(() => tap!.close());
      return tap.url;
    });
    await stopWorker(page);
    await relayAnnounces(server.relay.url, '/lib/value.mjs', () => site.write('lib/value.mjs', `export const value = 'v2';\n`));
    tap!.resetStats();
    await page.reload();
    expect(await appResult(page)).toMatchObject({ value: 'v2', stable: 'stable' });
    // Both stores hold module paths here: the HTTP cache the app's modules, Cache Storage the
    // boot script. One round trip validates them all: the first check lists every one. (A
    // later one may confirm what was fetched or copied over HTTP since: sw/relay/validation.ts.)
    expect(tap!.stats.connections).toBe(1);
    expect(tap!.stats.checks[0]).toEqual(expect.arrayContaining(MODULES));
  });

  test('after one visit the page reloads with both servers gone and the browser offline', async () => {
    const { server, context, page } = await visit(h);
    await server.close();
    await context.setOffline(true);
    // Prove the network is gone, not just hoped.
    expect(await page.evaluate((url) => fetch(url, { cache: 'no-store' }).then(() => 'reached', () => 'failed'), `${server.url}lib/value.mjs`)).toBe('failed');
    await page.reload();
    expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
  });

  test('a report that misses scripts the worker answered (made before the app imported, or not seen by the page) makes the worker copy them itself', async () => {
    // A page without the client, so the only reports are the two this test sends.
    const site = await h.site({
      ...FILES,
      'plain.html': `<!doctype html><script type="module">
        const relay = new URLSearchParams(location.search).get('relay');
        await navigator.serviceWorker.register('/sw.js?relay=' + encodeURIComponent(relay));
        if (!navigator.serviceWorker.controller) await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
        await import('/app.mjs');
      </script>`,
    });
    const server = await h.serve(site.root);
    const { page } = await h.page();
    await page.goto(`${server.url}plain.html?relay=${encodeURIComponent(server.relay.url)}`);
    expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
    // The client's request (client/post.ts `ask`): the reply comes on the channel's port.
    const report = (paths: string[]) => page.evaluate(async (urls) => {
      const channel = new MessageChannel();
      const state = new Promise<string>((resolve) => {
        channel.port1.onmessage = (event: MessageEvent<{ type: string; state: string }>) => {
          if (event.data.type === 'store:state') resolve(event.data.state);
        };
      });
      navigator.serviceWorker.controller!.postMessage({ source: 'modrelay', type: 'store:seen', urls, fromCache: [] }, [channel.port2]);
      return state;
    }, paths.map((path) => new URL(path, server.url).href));
    // The worker answered app.mjs and both libs: a report of one of them is enough, for the
    // worker copies what it answered whether the page listed it or not.
    expect(await report(['/lib/stable.mjs'])).toBe('ready');
    expect(await copies(page)).toEqual({ '/app.mjs': expect.any(String), '/lib/value.mjs': expect.any(String), '/lib/stable.mjs': expect.any(String) });
  });

  test("an answer the worker took from an HTTP-cache copy says so: x-modrelay-source http-cache, not network", async () => {
    // A page without the client stays on the version without static routes, so the worker
    // answers every module; its own fetches then find the copies in the HTTP cache.
    const site = await h.site({
      ...FILES,
      'plain.html': `<!doctype html><script type="module">
        const relay = new URLSearchParams(location.search).get('relay');
        await navigator.serviceWorker.register('/sw.js?relay=' + encodeURIComponent(relay)).catch(() => undefined);
        if (!navigator.serviceWorker.controller) await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
        await import('/app.mjs');
      </script>`,
    });
    const server = await h.serve(site.root);
    const { page, log } = await h.page();
    await page.goto(`${server.url}plain.html?relay=${encodeURIComponent(server.relay.url)}`);
    expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
    const state = await page.evaluate(async (urls) => {
      const channel = new MessageChannel();
      const reply = new Promise<string>((resolve) => { channel.port1.onmessage = (event) => resolve(event.data.state); });
      navigator.serviceWorker.controller!.postMessage({ source: 'modrelay', type: 'store:seen', urls, fromCache: [] }, [channel.port2]);
      return reply;
    }, ['/app.mjs', '/lib/value.mjs', '/lib/stable.mjs'].map((path) => new URL(path, server.url).href));
    expect(state).toBe('ready');
    await page.reload(); // through the worker this time, which keeps the page for offline use
    expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
    // Once its files are on disk (the worker's loads went quiet), the page's copy is complete.
    const pageUrl = page.url();
    await poll(async () => (await idbEntries<{ complete?: boolean }>(page, 'modrelay', 'modules')).some(([key, record]) => key === pageUrl && record.complete === true));
    await server.close(); // both servers gone: the worker's own fetches reach only the HTTP cache
    // And the worker's own copies lost (Cache Storage cleared, as a browser under storage
    // pressure may): a worker started again finds the modules in the HTTP cache only.
    const modules = ['/app.mjs', '/lib/value.mjs', '/lib/stable.mjs'].map((path) => new URL(path, server.url).href);
    await page.evaluate((urls) => caches.open('modrelay-v1').then((cache) => Promise.all(urls.map((url) => cache.delete(url)))), modules);
    for (const url of modules) await idbWrite(page, 'modrelay', 'modules', url, null);
    await stopWorker(page);
    log.reset();
    await page.reload();
    expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
    const served = await log.byPath();
    for (const path of ['/app.mjs', '/lib/value.mjs', '/lib/stable.mjs']) expect({ path, ...served.get(path) }).toMatchObject({ path, fromSW: true, source: 'http-cache' });
  });

  test('an app that polls its API every 200 ms still goes quiet for the report, its polls never reach the worker, and it switches to the routed version', async () => {
    // Its backend, polled on another origin and through serve's proxy on the app's own.
    const backend = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n'));
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    h.defer(() => new Promise((resolve) => backend.close(resolve)));
    const origin = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
    const pings = [`${origin}/status`, '/api/status'];
    const site = await h.site({
      ...FILES,
      'app.mjs': `${FILES['app.mjs']}setInterval(() => { for (const url of ${JSON.stringify(pings)}) fetch(url, { mode: 'no-cors' }); }, 200);\n`,
    });
    const server = await serve({ root: site.root, port: 0, relayPort: 0, proxy: { '/api': origin } });
    h.defer(() => server.close());
    const { page } = await h.page();
    await page.goto(server.url);
    expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
    // The polls go on throughout, each one a Resource Timing entry, yet the copies are made…
    await waitCopied(page);
    // …and the version being replaced is not woken by them: they go to the network without a
    // fetch event (a poll that restarted it mid-switch kept the routed version waiting).
    await waitRouted(page);
    for (const url of pings) {
      const routes = await page.evaluate((url) => performance.getEntriesByName(new URL(url, location.href).href)
        .map((entry) => (entry as PerformanceResourceTiming & { workerMatchedSourceType?: string }).workerMatchedSourceType), url);
      expect(routes.length).toBeGreaterThan(3);
      expect(new Set(routes)).toEqual(new Set(['network']));
    }
    await page.reload();
    expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
    expect((await moduleTimings(page))['/lib/value.mjs']).toEqual(FROM_HTTP_CACHE);
  });

  test("switching back to 'cache-storage' releases every copy: nothing immutable is left untracked", async () => {
    const { site, server, page } = await visit(h);
    await page.goto(`${server.url}?store=cache-storage`); // a new worker without HTTP-cache copies
    expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
    await poll(async () => Object.keys(await copies(page)).length === 0);
    // Then without any worker at all: the HTTP cache must not answer with the old copy.
    await relayAnnounces(server.relay.url, '/lib/value.mjs', () => site.write('lib/value.mjs', `export const value = 'v2';\n`));
    await page.evaluate(async () => { await (await navigator.serviceWorker.getRegistration())?.unregister(); });
    const response = await page.goto(`${server.url}lib/value.mjs`);
    expect(response?.fromServiceWorker()).toBe(false);
    expect(await response?.text()).toBe(`export const value = 'v2';\n`);
  });
});
