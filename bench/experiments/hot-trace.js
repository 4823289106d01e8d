#!/usr/bin/env node
// @ts-check
/**
 * Experiment, not part of `npm run bench`: a hot update's two halves in one page — file write
 * → the worker's `module:updated` message reaching the page, and that message → the
 * `modrelay:update` event (the client's memory-cache eviction, routed pages only).
 *   node bench/experiments/hot-trace.js [graph] [edits] [routed]
 * `routed`: reload once the routed version controls, so the page starts routed.
 * CS=1: `store: 'cache-storage'`.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { serve } from '../../dist/server/index.js';
import { launchChromium } from '../../scripts/chromium.js';
import { GRAPHS, importClosure, pickLeaf } from '../graphs.js';
import { measureLoad, waitRouted } from '../page-load.js';
import { createSite } from '../site.js';
import { percentile } from '../stats.js';

const graph = GRAPHS.find((g) => g.name === (process.argv[2] ?? 'three'));
if (!graph) throw new Error('no graph');
const edits = Number(process.argv[3] ?? 20);
const routed = process.argv[4] === 'routed';
const dir = await mkdtemp(path.join(os.tmpdir(), 'modrelay-hot-'));
const site = await createSite(graph, dir, 'hot', 'modrelay');
const modules = await importClosure(site.root, site.entryUrl);
const leaf = pickLeaf(modules);
const leafFile = path.join(site.root, ...leaf.split('/'));
const original = await readFile(leafFile, 'utf8');
const server = await serve({ root: site.root, port: 0, relayPort: 0 });
const browser = await launchChromium();
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  await measureLoad(page, { url: server.url + (process.env.CS ? '?store=cache-storage' : ''), timeoutMs: 30000 });
  if (routed) {
    await waitRouted(page, 30000);
    await measureLoad(page, { timeoutMs: 30000 });
  }
  console.log('controller', await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL));
  await page.evaluate(() => {
    /** @type {any} */ (window).__messages = [];
    navigator.serviceWorker.addEventListener('message', (event) => {
      if (event.data?.type === 'module:updated') /** @type {any} */ (window).__messages.push({ url: event.data.url, at: performance.timeOrigin + performance.now() });
    });
  });
  await new Promise((r) => setTimeout(r, 2000));
  /** @type {number[]} */ const recv = [];
  /** @type {number[]} */ const disp = [];
  /** @type {number[]} */ const gap = [];
  for (let i = 0; i < edits; i++) {
    const before = await page.evaluate(() => /** @type {any} */ (window).__updates.length);
    const written = performance.timeOrigin + performance.now();
    await writeFile(leafFile, `${original}\n// edit ${i}\n`);
    const h = await page.waitForFunction(({ before, leaf }) => /** @type {any[]} */ (/** @type {any} */ (window).__updates).slice(before).find((u) => String(u.url).endsWith(leaf)), { before, leaf }, { timeout: 5000, polling: 20 });
    const update = /** @type {any} */ (await h.jsonValue());
    const msg = await page.evaluate((leaf) => /** @type {any[]} */ (/** @type {any} */ (window).__messages).filter((m) => m.url.endsWith(leaf)).at(-1), leaf);
    recv.push(msg.at - written); disp.push(update.at - written); gap.push(update.at - msg.at);
    await new Promise((r) => setTimeout(r, 150));
  }
  const f = (/** @type {number[]} */ a) => `p50 ${percentile(a, 50)?.toFixed(1)} p95 ${percentile(a, 95)?.toFixed(1)}`;
  console.log('write→message', f(recv)); console.log('write→event', f(disp)); console.log('message→event', f(gap));
} finally {
  await writeFile(leafFile, original);
  await browser.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
