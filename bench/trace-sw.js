#!/usr/bin/env node
// @ts-check
/**
 * Where a modrelay warm reload spends its time, thread by thread, from a Chromium trace.
 * Not part of `npm run bench`: a tool for optimisation work (docs/performance.md).
 *
 *   npm run build && node bench/trace-sw.js [--graph three] [--warmups 3] [--floor]
 *
 * Loads the graph through `serve()` in a fresh context, reloads until warm, traces one
 * more reload, and prints per-thread totals of the busiest trace events plus the Service
 * Worker thread's cost per fetch event. `--floor` traces the same reload served with
 * `Cache-Control: immutable` instead (no Service Worker), to compare against. The raw trace is left in a temp folder for
 * chrome://tracing or https://ui.perfetto.dev.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from './chromium.js';
import { GRAPHS } from './graphs.js';
import { measureLoad, watchSources } from './page-load.js';
import { createSite } from './site.js';

import sirv from 'sirv';

const { values: args } = parseArgs({
  options: { graph: { type: 'string', default: 'three' }, warmups: { type: 'string', default: '3' }, floor: { type: 'boolean', default: false } },
});
const graph = GRAPHS.find((g) => g.name === args.graph);
if (!graph) throw new Error(`unknown graph ${args.graph}; one of ${GRAPHS.map((g) => g.name).join(', ')}`);
const TIMEOUT_MS = 60_000;
const CATEGORIES = ['toplevel', 'ServiceWorker', 'devtools.timeline', 'v8', 'blink', 'loading'];

const tmp = await mkdtemp(path.join(os.tmpdir(), 'modrelay-trace-'));
const site = await createSite(graph, tmp, 'site', args.floor ? 'plain' : 'modrelay');
const server = args.floor ? await immutableServer(site.root) : await (await import('../dist/server/index.js')).serve({ root: site.root, port: 0, relayPort: 0 });
const browser = await launchChromium();
try {
  const page = await (await browser.newContext()).newPage();
  const sources = watchSources(page, graph.mount);
  const first = await measureLoad(page, { url: server.url, timeoutMs: TIMEOUT_MS });
  console.log(`first visit: ${first.importMs?.toFixed(1)} ms`, sources.take());
  for (let i = 0; i < Number(args.warmups); i++) {
    const r = await measureLoad(page, { timeoutMs: TIMEOUT_MS });
    console.log(`warm-up reload ${i + 1}: ${r.importMs?.toFixed(1)} ms`, sources.take());
  }
  await browser.startTracing(undefined, { categories: CATEGORIES });
  const traced = await measureLoad(page, { timeoutMs: TIMEOUT_MS });
  const trace = await browser.stopTracing();
  console.log(`traced reload: ${traced.importMs?.toFixed(1)} ms (tracing adds overhead)`, sources.take());
  const file = path.join(tmp, 'trace.json');
  await writeFile(file, trace);
  summarize(JSON.parse(trace.toString()).traceEvents);
  console.log(`\nraw trace: ${file}`);
} finally {
  await browser.close();
  await server.close();
}

/**
 * The floor's server (as bench/server-host.js): modules immutable, the page no-cache.
 * @param {string} root
 */
async function immutableServer(root) {
  const files = sirv(root, {
    etag: true, maxAge: 31536000, immutable: true,
    setHeaders: (res, pathname) => { if (!/\.m?js$/.test(pathname)) res.setHeader('Cache-Control', 'no-cache'); },
  });
  const server = http.createServer((req, res) => files(req, res));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(() => r(undefined))) };
}

/**
 * Per thread: total duration of the events that take the most time (nested events are
 * counted within their parents too, so rows overlap; compare like with like).
 * @param {any[]} events
 */
function summarize(events) {
  /** @type {Map<string, string>} */
  const threadNames = new Map();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') threadNames.set(`${e.pid}:${e.tid}`, e.args.name);
  /** @type {Map<string, Map<string, { n: number, us: number }>>} */
  const byThread = new Map();
  for (const e of events) {
    if (e.ph !== 'X' || !e.dur) continue;
    const thread = threadNames.get(`${e.pid}:${e.tid}`) ?? `${e.pid}:${e.tid}`;
    const names = byThread.get(thread) ?? new Map();
    byThread.set(thread, names);
    const row = names.get(e.name) ?? { n: 0, us: 0 };
    row.n++;
    row.us += e.dur;
    names.set(e.name, row);
  }
  for (const [thread, names] of byThread) {
    const rows = [...names].sort((a, b) => b[1].us - a[1].us).slice(0, 8);
    if (!rows[0] || rows[0][1].us < 20_000) continue; // threads that did next to nothing
    console.log(`\n== ${thread}`);
    for (const [name, { n, us }] of rows) console.log(`  ${(us / 1000).toFixed(1).padStart(8)} ms  n=${String(n).padEnd(5)} ${name}`);
  }
  // Compilation versus code cache: a warm reload at the floor consumes V8's code cache
  // instead of parsing every module again.
  /** @type {Map<string, { n: number, us: number }>} */
  const v8 = new Map();
  for (const names of byThread.values()) {
    for (const [name, row] of names) {
      if (!/parse|compile|cache/i.test(name)) continue;
      const total = v8.get(name) ?? { n: 0, us: 0 };
      total.n += row.n;
      total.us += row.us;
      v8.set(name, total);
    }
  }
  console.log('\n== parsing, compiling, code cache (all threads)');
  for (const [name, { n, us }] of [...v8].sort((a, b) => b[1].us - a[1].us).slice(0, 10)) {
    console.log(`  ${(us / 1000).toFixed(1).padStart(8)} ms  n=${String(n).padEnd(5)} ${name}`);
  }
  const sw = [...byThread].find(([t]) => t === 'ServiceWorker thread')?.[1];
  const dispatch = sw?.get('ServiceWorkerGlobalScope::DispatchFetchEventForSubresource');
  if (dispatch) {
    console.log(`\nService Worker: ${dispatch.n} subresource fetch events, ${(dispatch.us / 1000).toFixed(1)} ms in their handlers, ${(dispatch.us / dispatch.n / 1000).toFixed(2)} ms each`);
  }
}
