#!/usr/bin/env node
// @ts-check
/**
 * Experiment, not part of `npm run bench`: how fast can ANY Service Worker serve a warm
 * reload of `three`? Minimal workers, each one idea, against the immutable-HTTP floor,
 * interleaved in one run (docs/performance.md, "Where the time goes"):
 *
 * - memory:          fetch handler, bodies in a Map, `new Response(bytes)` (modrelay's hit path)
 * - match:           fetch handler, `cache.match()` (entries put at run time)
 * - install-match:   fetch handler, `cache.match()`, entries put during `install`
 * - install-router:  no fetch event for modules: `addRoutes` with a cache source, entries put
 *                    during `install`
 * - http-store:      no fetch event for modules: `addRoutes` with a network source; after the
 *                    first load the worker re-fetches each module with `cache: 'reload'` and an
 *                    `x-modrelay-store: http` header, which the server answers `immutable`, so
 *                    the browser's HTTP cache holds them (modrelay's `store: 'http'`)
 *
 *   node bench/experiments/sw-variants.js [--runs 7] [--trace <variant>]
 *
 * `--trace` also traces one more warm reload of that variant and prints where it went.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sirv from 'sirv';
import { launchChromium } from '../../scripts/chromium.js';
import { GRAPHS, importClosure } from '../graphs.js';
import { median, round } from '../stats.js';
import { createSite } from '../site.js';
import { TRACE_CATEGORIES, summarizeTrace } from '../trace-summary.js';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '7' }, trace: { type: 'string' } } });
const RUNS = Number(args.runs);
const VARIANTS = (process.env.VARIANTS ?? 'floor,memory,match,install-match,install-router,http-store').split(',');
const graph = /** @type {import('../graphs.js').Graph} */ (GRAPHS[0]);

const SW = `
const variant = new URL(location.href).searchParams.get('variant');
const CACHE = 'modules';
const memory = new Map();
const isModule = (url) => url.pathname.startsWith('/${graph.mount}/');
self.addEventListener('install', (event) => {
  self.skipWaiting();
  if (variant === 'http-store') {
    event.waitUntil(event.addRoutes({ condition: { urlPattern: '/${graph.mount}/*' }, source: 'network' }));
    return;
  }
  if (!variant.startsWith('install')) return;
  event.waitUntil((async () => {
    const list = await (await fetch('/modules.json')).json();
    await (await caches.open(CACHE)).addAll(list);
    if (variant === 'install-router') {
      await event.addRoutes({ condition: { urlPattern: '/${graph.mount}/*' }, source: { cacheName: CACHE } });
    }
  })());
});
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('message', (event) => {
  const urls = event.data;
  event.waitUntil(Promise.all(urls.map((url) =>
    fetch(url, { cache: 'reload', headers: { 'x-modrelay-store': 'http' } }).then((r) => r.arrayBuffer()),
  )).then(() => event.source.postMessage('stored')));
});
self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (!isModule(url)) return;
  if (variant === 'memory') {
    event.respondWith((async () => {
      let body = memory.get(url.href);
      if (!body) { body = await (await fetch(event.request)).arrayBuffer(); memory.set(url.href, body); }
      return new Response(body, { headers: { 'content-type': 'text/javascript' } });
    })());
    return;
  }
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const hit = await cache.match(event.request);
    if (hit) return hit;
    const response = await fetch(event.request);
    await cache.put(event.request, response.clone());
    return response;
  })());
});
`;

const BOOT = `
performance.setResourceTimingBufferSize(10000);
const variant = new URL(location.href).searchParams.get('variant');
if (variant !== 'floor') {
  await navigator.serviceWorker.register('/sw.js?variant=' + variant);
  await navigator.serviceWorker.ready;
  if (!navigator.serviceWorker.controller) {
    await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
  }
}
const started = performance.now();
try {
  await import(${JSON.stringify(`/${graph.mount}/${graph.entry}`)});
  const importMs = performance.now() - started;
  if (variant === 'http-store' && !sessionStorage.stored) {
    sessionStorage.stored = 1;
    const urls = performance.getEntriesByType('resource').map((e) => e.name).filter((u) => u.includes('/${graph.mount}/'));
    navigator.serviceWorker.controller.postMessage(urls);
    await new Promise((r) => navigator.serviceWorker.addEventListener('message', r, { once: true }));
  }
  // Modules that crossed the network this load (a 304 or a 200); the floor's are 0.
  const fetched = performance.getEntriesByType('resource').filter((e) => e.name.includes('/${graph.mount}/') && e.transferSize > 0).length;
  window.__bench = { ok: true, importMs, fetched, controlled: !!navigator.serviceWorker.controller };
} catch (error) {
  window.__bench = { ok: false, error: String(error) };
}
`;

/** @param {string} root @param {boolean} immutable */
async function server(root, immutable) {
  const files = sirv(root, {
    etag: true,
    ...(immutable ? { maxAge: 31536000, immutable: true } : {}),
    setHeaders: (res, pathname) => {
      const tagged = res.req.headers['x-modrelay-store'] === 'http';
      if (tagged && pathname.startsWith(`/${graph.mount}/`)) res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
      else if (!immutable || !pathname.startsWith(`/${graph.mount}/`)) res.setHeader('Cache-Control', 'no-cache');
    },
  });
  const s = http.createServer((req, res) => {
    files(req, res);
  });
  await new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(undefined)));
  return { url: `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (s.address()).port}/`, close: () => s.close() };
}

const tmp = await mkdtemp(path.join(os.tmpdir(), 'modrelay-sw-variants-'));
const site = await createSite(graph, tmp, 'site', 'plain');
const modules = await importClosure(site.root, site.entryUrl);
await writeFile(path.join(site.root, 'modules.json'), JSON.stringify([...modules.keys()]));
await writeFile(path.join(site.root, 'sw.js'), SW);
await writeFile(path.join(site.root, 'boot.mjs'), BOOT);
const plain = await server(site.root, false);
const immutable = await server(site.root, true);
const browser = await launchChromium();
/** @type {Record<string, number[]>} */
const samples = Object.fromEntries(VARIANTS.map((v) => [v, []]));
try {
  const pages = [];
  for (const variant of VARIANTS) {
    const page = await (await browser.newContext()).newPage();
    const base = variant === 'floor' ? immutable.url : plain.url;
    const load = async (/** @type {boolean} */ first) => {
      if (first) await page.goto(`${base}?variant=${variant}`);
      else await page.reload();
      return (await page.waitForFunction(() => /** @type {any} */ (window).__bench, undefined, { polling: 50, timeout: 60_000 })).jsonValue();
    };
    const first = await load(true);
    for (let i = 0; i < 2; i++) await load(false); // warm-up: code cache, cache filled
    pages.push({ variant, load });
    console.log(`${variant}: first load ${round(first.importMs)} ms${first.ok ? '' : ` ${first.error}`}`);
  }
  for (let run = 0; run < RUNS; run++) {
    for (let i = 0; i < pages.length; i++) {
      const { variant, load } = /** @type {typeof pages[number]} */ (pages[(i + run) % pages.length]);
      const r = await load(false);
      /** @type {number[]} */ (samples[variant]).push(r.ok && (variant === 'floor' || r.controlled) ? r.importMs : NaN);
      if (r.fetched > 0) console.log(`${variant}: ${r.fetched} modules crossed the network on a warm reload`);
    }
  }
  const traced = pages.find((p) => p.variant === args.trace);
  if (traced) {
    await browser.startTracing(undefined, { categories: TRACE_CATEGORIES });
    const r = await traced.load(false);
    const trace = await browser.stopTracing();
    console.log(`\ntraced ${traced.variant} reload: ${round(r.importMs)} ms (tracing adds overhead)`);
    summarizeTrace(JSON.parse(trace.toString()).traceEvents);
  }
} finally {
  await browser.close();
  plain.close();
  immutable.close();
  await rm(tmp, { recursive: true, force: true });
}
const floor = median(/** @type {number[]} */ (samples.floor));
console.log(`\nthree, warm reload, median of ${RUNS} (load average ${os.loadavg()[0]?.toFixed(1)})`);
console.log('| variant | ms | × floor |\n| --- | --- | --- |');
for (const v of VARIANTS) {
  const m = median(/** @type {number[]} */ (samples[v]));
  console.log(`| ${v} | ${round(m)} | ${round(m / floor, 2)} |`);
}
