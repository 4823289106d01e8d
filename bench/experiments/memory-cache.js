#!/usr/bin/env node
// @ts-check
/**
 * Experiment, not part of `npm run bench`: why the `http-cache` store's client fetches every
 * changed module before the page imports (client/http-cache.ts, `evict`). A module is served
 * `immutable`; the page runs version 1; version 2 replaces the HTTP-cache entry through a
 * dedicated worker's `fetch(url, { cache: 'reload' })` (as modrelay's worker does); then the
 * tab reloads. Without a fetch of the URL by the page itself, the reload runs version 1 with
 * no request, even seconds later: Blink's in-renderer memory cache keeps the script and
 * trusts `immutable`. With one, it runs version 2, still with no request.
 *
 *   node bench/experiments/memory-cache.js
 */
import http from 'node:http';
import { launchChromium } from '../../scripts/chromium.js';

let version = 1;
let moduleRequests = 0;
const server = http.createServer((req, res) => {
  if (req.url?.startsWith('/m.mjs')) {
    moduleRequests++;
    res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'public, max-age=31536000, immutable' });
    return res.end(`export const v = ${version};`);
  }
  if (req.url?.startsWith('/w.js')) {
    res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-cache' });
    return res.end(`onmessage = async () => postMessage(await (await fetch('/m.mjs', { cache: 'reload' })).text());`);
  }
  res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-cache' });
  res.end(`<script type="module">window.__v = (await import('/m.mjs')).v;</script>`);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
const url = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}/`;
const browser = await launchChromium();
/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
try {
  for (const delayMs of [0, 1000, 5000]) {
    for (const pageFetch of [false, true]) {
      const context = await browser.newContext();
      const page = await context.newPage();
      version = 1;
      await page.goto(url);
      await page.waitForFunction(() => /** @type {any} */ (window).__v);
      version = 2;
      const workerGot = await page.evaluate(() => new Promise((resolve) => {
        const worker = new Worker('/w.js');
        worker.onmessage = (event) => resolve(event.data);
        worker.postMessage(null);
      }));
      if (pageFetch) await page.evaluate(() => fetch('/m.mjs').then((response) => response.text()));
      await sleep(delayMs);
      const before = moduleRequests;
      await page.reload();
      await page.waitForFunction(() => /** @type {any} */ (window).__v);
      const ran = await page.evaluate(() => /** @type {any} */ (window).__v);
      console.log(`${pageFetch ? 'page fetched the URL' : 'no page fetch       '}, reload ${String(delayMs).padStart(4)} ms later: ran v${ran}, ${moduleRequests - before} module requests (the worker got "${workerGot}")`);
      await context.close();
    }
  }
} finally {
  await browser.close();
  server.close();
}
