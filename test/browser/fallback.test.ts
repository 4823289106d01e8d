import { describe, expect, test } from 'vitest';
import { browserSuite } from '../support/harness.js';
import { lyingRelay } from '../support/lying-relay.js';
import { appResult } from '../support/page-log.js';
import { slowProxy } from '../support/slow-proxy.js';
import { waitCached } from '../support/wait.js';

/** Never worse than HTTP: a relay that is down, slow or lying leaves the page loading over HTTP. */
const FILES = {
  'app.mjs': `import { value } from './lib/value.mjs';\nwindow.__result = { value };\n`,
  'lib/value.mjs': `export const value = 'from-disk';\n`,
};
const MODULES = ['/app.mjs', '/lib/value.mjs'];

const h = browserSuite();

describe('fallback', () => {
  test('relay down: modules come over HTTP, still answered by the worker', async () => {
    const site = await h.site(FILES);
    const server = await h.serve(site.root);
    await server.relay.close();
    const { page, log } = await h.page();

    await page.goto(server.url);
    expect(await appResult(page)).toEqual({ value: 'from-disk' });
    const served = await log.byPath();
    for (const path of MODULES) expect({ path, ...served.get(path) }).toMatchObject({ path, fromSW: true, source: 'network' });
  });

  test('relay slower than the budget: modules come over HTTP without waiting for it', async () => {
    const site = await h.site(FILES);
    const server = await h.serve(site.root);
    // Every byte from the relay (the upgrade answer included) is held far beyond the budget.
    const proxy = await slowProxy(server.relay.port, 20_000);
    h.defer(() => proxy.close());
    const { page, log } = await h.page();

    await page.goto(`${server.url}?relay=${encodeURIComponent(proxy.url)}`);
    expect(await appResult(page)).toEqual({ value: 'from-disk' });
    const served = await log.byPath();
    for (const path of MODULES) expect({ path, ...served.get(path) }).toMatchObject({ path, fromSW: true, source: 'network' });
    // The page finished while the relay had not delivered a single byte yet.
    expect(proxy.bytesBack()).toBe(0);
  });
});

describe('client', () => {
  test('never hangs: a worker script that cannot be registered leaves the page on HTTP', async () => {
    const site = await h.site({
      ...FILES,
      'boot.mjs': `const { registerModuleRelay } = await import('/@modrelay/client.mjs');
const relay = await registerModuleRelay({ swUrl: '/missing-sw.js', timeout: 3000 });
window.__modrelay = { status: relay.status };
await import('./app.mjs');
`,
    });
    const server = await h.serve(site.root);
    const { page, log } = await h.page();

    await page.goto(server.url);
    expect(await appResult(page)).toEqual({ value: 'from-disk' });
    expect(await page.evaluate(() => (window as unknown as { __modrelay: { status: string } }).__modrelay.status)).toBe('failed');
    const served = await log.byPath();
    for (const path of MODULES) expect({ path, ...served.get(path) }).toMatchObject({ path, fromSW: false, source: undefined });
  });
});

describe('integrity', () => {
  test('a body that does not match its hash is neither served nor cached', async () => {
    const site = await h.site(FILES);
    const server = await h.serve(site.root);
    const liar = await lyingRelay(`export const value = 'poisoned';\n`, `export const value = 'innocent';\n`);
    h.defer(() => liar.close());
    const { page, log } = await h.page();
    const url = `${server.url}?relay=${encodeURIComponent(liar.url)}`;

    await page.goto(url);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    expect(await appResult(page)).toEqual({ value: 'from-disk' });
    expect(liar.requests()).toBeGreaterThan(0); // it was asked, and lied
    const served = await log.byPath();
    for (const path of MODULES) expect({ path, ...served.get(path) }).toMatchObject({ path, fromSW: true, source: 'network' });

    log.reset();
    await page.reload();
    expect(await appResult(page)).toEqual({ value: 'from-disk' });
    // The worker writes Cache Storage once the loads are over: wait for the modules' entries.
    await waitCached(page, MODULES);
    const bodies = await page.evaluate(async () => {
      const cache = await caches.open('modrelay-v1');
      const keys = await cache.keys();
      return Promise.all(keys.map(async (request) => (await cache.match(request))!.text()));
    });
    expect(bodies.length).toBeGreaterThan(0);
    expect(bodies.some((body) => body.includes('poisoned'))).toBe(false);
  });
});
