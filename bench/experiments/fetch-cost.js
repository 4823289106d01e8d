#!/usr/bin/env node
// @ts-check
/**
 * Experiment, not part of `npm run bench`: what one fetch of a small module costs in this
 * Chromium once the page is routed (`store: 'http-cache'`), from the page and from the worker:
 * an HTTP-cache hit, and a `cache: 'reload'` fetch with the store header (the copy a hot update
 * waits for). Ten of each, in a row, `three`'s leaf module.
 *   node bench/experiments/fetch-cost.js
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { serve } from '../../dist/server/index.js';
import { STORE_HEADER, STORE_HTTP_CACHE } from '../../dist/protocol/http-cache.js';
import { launchChromium } from '../../scripts/chromium.js';
import { GRAPHS, importClosure, pickLeaf } from '../graphs.js';
import { measureLoad, waitRouted } from '../page-load.js';
import { createSite } from '../site.js';

const graph = GRAPHS.find((g) => g.name === 'three');
if (!graph) throw new Error('no graph');
const dir = await mkdtemp(path.join(os.tmpdir(), 'modrelay-fetch-cost-'));
const site = await createSite(graph, dir, 'site', 'modrelay');
const leaf = pickLeaf(await importClosure(site.root, site.entryUrl));
const server = await serve({ root: site.root, port: 0, relayPort: 0 });
const browser = await launchChromium();
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  await measureLoad(page, { url: server.url, timeoutMs: 30000 });
  await waitRouted(page, 30000);
  await measureLoad(page, { timeoutMs: 30000 });
  const url = new URL(leaf, server.url).href;
  /** @param {{ url: string, init: RequestInit }} arg */
  const tenFetches = async ({ url, init }) => {
    const ms = [];
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      await (await fetch(url, init)).arrayBuffer();
      ms.push((performance.now() - started).toFixed(1));
    }
    return ms.join(' ');
  };
  const copy = { url, init: { cache: /** @type {RequestCache} */ ('reload'), headers: { [STORE_HEADER]: STORE_HTTP_CACHE } } };
  console.log('page, HTTP-cache hit   ', await page.evaluate(tenFetches, { url, init: {} }));
  const worker = context.serviceWorkers()[0];
  if (!worker) throw new Error('no worker');
  console.log('worker, HTTP-cache hit ', await worker.evaluate(tenFetches, { url, init: {} }));
  console.log("worker, copy ('reload')", await worker.evaluate(tenFetches, copy));
} finally {
  await browser.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
