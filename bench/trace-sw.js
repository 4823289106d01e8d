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
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from '../scripts/chromium.js';
import { GRAPHS } from './graphs.js';
import { measureLoad, watchSources } from './page-load.js';
import { createSite } from './site.js';
import { TRACE_CATEGORIES, summarizeTrace } from './trace-summary.js';

import sirv from 'sirv';

const { values: args } = parseArgs({
  options: { graph: { type: 'string', default: 'three' }, warmups: { type: 'string', default: '3' }, floor: { type: 'boolean', default: false } },
});
const graph = GRAPHS.find((g) => g.name === args.graph);
if (!graph) throw new Error(`unknown graph ${args.graph}; one of ${GRAPHS.map((g) => g.name).join(', ')}`);
const TIMEOUT_MS = 60_000;

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
  await browser.startTracing(undefined, { categories: TRACE_CATEGORIES });
  const traced = await measureLoad(page, { timeoutMs: TIMEOUT_MS });
  const trace = await browser.stopTracing();
  console.log(`traced reload: ${traced.importMs?.toFixed(1)} ms (tracing adds overhead)`, sources.take());
  const file = path.join(tmp, 'trace.json');
  await writeFile(file, trace);
  summarizeTrace(JSON.parse(trace.toString()).traceEvents);
  console.log(`\nraw trace: ${file}`);
} finally {
  await browser.close();
  await server.close();
  // Keep only the trace.
  await rm(site.root, { recursive: true, force: true });
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
