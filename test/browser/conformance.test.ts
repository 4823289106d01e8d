import { describe, expect, test } from 'vitest';
import { browserSuite } from '../support/harness.js';
import { appResult } from '../support/page-log.js';
import { poll, waitCached } from '../support/wait.js';

/**
 * The module graph behaves exactly as over HTTP while every module is answered by the
 * service worker (from the relay on the first load, from the cache on the reload), and
 * when the default store's routed version lets the HTTP cache answer them.
 */
const BIG = 'x'.repeat(1_200_000);

const FILES: Record<string, string> = {
  'app.mjs': `
import { a } from './lib/a.mjs';
import { ping } from './cycle/ping.mjs';
import { text } from './text.mjs';
import { big } from './big.mjs';
import { q } from './query.mjs?v=1';
import { tla } from './tla.mjs';
const dynamic = await import('./dynamic.mjs');
const worker = new Worker(new URL('./worker/w.mjs', import.meta.url), { type: 'module' });
const fromWorker = await new Promise((resolve) => { worker.onmessage = (event) => resolve(event.data); });
window.__result = { a, ping: ping(3), text, bigLength: big.length, q, tla, dynamic: dynamic.value,
  metaUrl: import.meta.url, fromWorker };
`,
  'lib/a.mjs': `import { b, data, bUrl } from './deep/b.mjs';\nexport const a = { b, data, bUrl };\n`,
  'lib/deep/b.mjs': `import { c } from '../../shared/c.mjs';
export const b = 'b+' + c;
export const bUrl = import.meta.url;
export const data = await (await fetch(new URL('./data.json', import.meta.url))).json();
`,
  'lib/deep/data.json': '{"answer":42}',
  'shared/c.mjs': `export const c = 'c';\n`,
  'cycle/ping.mjs': `import { pong } from './pong.mjs';\nexport function ping(n) { return n === 0 ? 'ping' : pong(n - 1); }\n`,
  'cycle/pong.mjs': `import { ping } from './ping.mjs';\nexport function pong(n) { return n === 0 ? 'pong' : ping(n - 1); }\n`,
  'text.mjs': `export const text = 'Grüße, 世界 🚀 — naïve café';\n`,
  'big.mjs': `export const big = '${BIG}';\n`,
  'query.mjs': `export const q = new URL(import.meta.url).search;\n`,
  'tla.mjs': `export const tla = await new Promise((resolve) => setTimeout(() => resolve('awaited'), 10));\n`,
  'dynamic.mjs': `export const value = 'dynamic';\n`,
  'worker/w.mjs': `import { helper } from './helper.mjs';\npostMessage(helper());\n`,
  'worker/helper.mjs': `export function helper() { return 'worker:' + new URL(import.meta.url).pathname; }\n`,
};

const GRAPH = [
  '/app.mjs', '/lib/a.mjs', '/lib/deep/b.mjs', '/shared/c.mjs', '/cycle/ping.mjs', '/cycle/pong.mjs',
  '/text.mjs', '/big.mjs', '/query.mjs?v=1', '/tla.mjs', '/dynamic.mjs', '/worker/w.mjs', '/worker/helper.mjs',
];

const h = browserSuite();

describe('conformance', () => {
  test('every kind of import works, served by the worker: relay first, cache on reload', async () => {
    const site = await h.site(FILES);
    const server = await h.serve(site.root);
    const { page, log } = await h.page();

    const expected = {
      a: { b: 'b+c', data: { answer: 42 }, bUrl: `${server.url}lib/deep/b.mjs` },
      ping: 'pong',
      text: 'Grüße, 世界 🚀 — naïve café',
      bigLength: BIG.length,
      q: '?v=1',
      tla: 'awaited',
      dynamic: 'dynamic',
      metaUrl: `${server.url}app.mjs`,
      fromWorker: 'worker:/worker/helper.mjs',
    };

    await page.goto(`${server.url}?store=cache-storage`);
    expect(await appResult(page)).toEqual(expected);
    const first = await log.byPath();
    for (const path of GRAPH) {
      expect({ path, fromSW: first.get(path)?.fromSW, source: first.get(path)?.source }).toEqual({
        path, fromSW: true, source: 'relay',
      });
    }

    // The boot script was loaded before the worker existed; the client's `warm` message has
    // it cached, and the relay confirmed its hash.
    await waitCached(page, ['/boot.mjs'], { kind: 'module' });
    log.reset();
    await page.reload();
    expect(await appResult(page)).toEqual(expected);
    const second = await log.byPath();
    for (const path of GRAPH) {
      expect({ path, fromSW: second.get(path)?.fromSW, source: second.get(path)?.source }).toEqual({
        path, fromSW: true, source: 'cache',
      });
    }
    expect(second.get('/boot.mjs')).toMatchObject({ fromSW: true, source: 'cache' });
  });

  test('the same graph under the default store: from the relay first, then from the HTTP cache with no fetch event', async () => {
    const site = await h.site(FILES);
    const server = await h.serve(site.root);
    const { page, log } = await h.page();
    await page.goto(server.url);
    const result = await appResult(page);
    expect(result).toMatchObject({ ping: 'pong', fromWorker: 'worker:/worker/helper.mjs', q: '?v=1' });
    const first = await log.byPath();
    for (const path of GRAPH) expect({ path, source: first.get(path)?.source }).toEqual({ path, source: 'relay' });
    await poll(() => page.evaluate(() => navigator.serviceWorker.controller?.scriptURL.includes('routed=1') ?? false));
    log.reset();
    await page.reload();
    expect(await appResult(page)).toEqual(result);
    const second = await log.byPath();
    // The page's own module requests skip the worker (static routes). A dedicated Worker's
    // imports do not: Chromium applies no static route to a worker's requests, so its fetch
    // handler answers them from Cache Storage.
    for (const path of GRAPH.filter((p) => p !== '/worker/helper.mjs')) expect({ path, fromSW: second.get(path)?.fromSW }).toEqual({ path, fromSW: false });
    expect(second.get('/worker/helper.mjs')).toMatchObject({ fromSW: true, source: 'cache' });
  });
});
