import { describe, expect, test } from 'vitest';
import { createRelay } from '../../server/index.js';
import { browserSuite } from '../support/harness.js';
import { appResult } from '../support/page-log.js';
import { relayAnnounces, sleep, waitCached } from '../support/wait.js';

/**
 * The worker and its socket are short-lived (Chromium stops an idle worker after ~30 s; a
 * relay restarts): whatever changed meanwhile is caught by the validation round trip on
 * the next start or reconnect, before any cached module is served.
 */
const FILES = {
  'app.mjs': `import { value } from './lib/value.mjs';\nimport { stable } from './lib/stable.mjs';\nwindow.__result = { value, stable };\n`,
  'lib/value.mjs': `export const value = 'v1';\n`,
  'lib/stable.mjs': `export const stable = 'stable';\n`,
};
const CACHED = ['/app.mjs', '/lib/value.mjs', '/lib/stable.mjs'];

const h = browserSuite();

describe('service worker termination', () => {
  test('an edit made while the worker is stopped is seen on the next load, still served by the worker', async () => {
    const site = await h.site(FILES);
    const server = await h.serve(site.root);
    const { context, page, log } = await h.page();
    // The worker-answered store (the default's routed version is covered by http-cache-store.test.ts).
    await page.goto(`${server.url}?store=cache-storage`);
    expect(await appResult(page)).toEqual({ value: 'v1', stable: 'stable' });
    await waitCached(page, CACHED);

    const cdp = await context.newCDPSession(page);
    const versions = new Map<string, string>();
    let stopped!: () => void;
    const heard = new Promise<void>((resolve) => { stopped = resolve; });
    cdp.on('ServiceWorker.workerVersionUpdated', ({ versions: list }) => {
      for (const version of list) versions.set(version.versionId, version.runningStatus);
      if ([...versions.values()].includes('stopped')) stopped();
    });
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
    // The status events trail the command; wait for them, bounded.
    await Promise.race([heard, sleep(5000)]);
    expect([...versions.values()]).toEqual(['stopped']);

    // The relay broadcasts this edit to nobody: the worker and its socket are gone.
    await relayAnnounces(server.relay.url, '/lib/value.mjs', () => site.write('lib/value.mjs', `export const value = 'v2';\n`));

    log.reset();
    await page.reload();
    expect(await appResult(page)).toEqual({ value: 'v2', stable: 'stable' });
    expect([...versions.values()]).toContain('running'); // the reload restarted it
    const served = await log.byPath();
    expect(served.get('/lib/value.mjs')).toMatchObject({ fromSW: true, source: 'relay' });
    expect(served.get('/lib/stable.mjs')).toMatchObject({ fromSW: true, source: 'cache' });
    expect(served.get('/app.mjs')).toMatchObject({ fromSW: true, source: 'cache' });
    await cdp.detach();
  });
});

describe('relay restart mid-session', () => {
  test('the worker reconnects and revalidates: a change made while the relay was down is served', async () => {
    const site = await h.site(FILES);
    const server = await h.serve(site.root);
    const { page, log } = await h.page();
    await page.goto(server.url);
    expect(await appResult(page)).toEqual({ value: 'v1', stable: 'stable' });
    await waitCached(page, CACHED);

    await server.relay.close();
    await site.write('lib/value.mjs', `export const value = 'v2';\n`);
    const relay = await createRelay({ root: site.root, port: server.relay.port, allowOrigins: [new URL(server.url).origin] });
    h.defer(() => relay.close());

    log.reset();
    await page.reload();
    expect(await appResult(page)).toEqual({ value: 'v2', stable: 'stable' });
    const served = await log.byPath();
    expect(served.get('/lib/value.mjs')).toMatchObject({ fromSW: true, source: 'relay' });
    expect(served.get('/lib/stable.mjs')).toMatchObject({ fromSW: true, source: 'cache' });
  });
});
