#!/usr/bin/env node
// @ts-check
/**
 * Experiment: the fixed cost of a warm load on a small page (30 tiny modules, no worker):
 * navigation → app imported under the default store against the floor (the same files
 * served immutable, no Service Worker), reloads interleaved, with where the time goes.
 *   node bench/experiments/small-page.js [reloads]
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import sirv from 'sirv';
import { serve } from '../../dist/server/index.js';
import { launchChromium } from '../../scripts/chromium.js';
import { createSite } from '../site.js';
import { measureLoad, waitCopied, waitRouted } from '../page-load.js';
import { percentile } from '../stats.js';

const N = 30;
const graph = /** @type {any} */ ({
  name: 'small', source: '', mount: 'small', entry: 'main.mjs',
  write: async (/** @type {string} */ dir) => {
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'main.mjs'), Array.from({ length: N - 1 }, (_, i) => `import './m${i}.mjs';`).join('\n') + '\n');
    for (let i = 0; i < N - 1; i++) await writeFile(path.join(dir, `m${i}.mjs`), `export const m${i} = ${i};\n`);
  },
});
const reloads = Number(process.argv[2] ?? 40);
const dir = await mkdtemp(path.join(os.tmpdir(), 'small-page-'));
const plain = await createSite(graph, dir, 'plain', 'plain');
const ours = await createSite(graph, dir, 'ours', 'modrelay');
const files = sirv(plain.root, { dev: false, etag: true, maxAge: 31536000, immutable: true,
  setHeaders: (res, p) => { if (p.endsWith('.html') || p === '/') res.setHeader('Cache-Control', 'no-cache'); } });
const floorServer = http.createServer((req, res) => files(req, res));
await new Promise((r) => floorServer.listen(0, '127.0.0.1', () => r(undefined)));
const floorUrl = `http://127.0.0.1:${/** @type {any} */ (floorServer.address()).port}/`;
const server = await serve({ root: ours.root, port: 0, relayPort: 0 });
const browser = await launchChromium();
const floor = await (await browser.newContext()).newPage();
const page = await (await browser.newContext()).newPage();
await measureLoad(floor, { url: floorUrl, timeoutMs: 30000 });
await measureLoad(page, { url: server.url, timeoutMs: 30000 });
await waitCopied(page, N + 1, 60000);
await waitRouted(page, 60000);
await measureLoad(page, { timeoutMs: 30000 });
await measureLoad(floor, { timeoutMs: 30000 });
const phases = () => {
  const nav = /** @type {PerformanceNavigationTiming} */ (performance.getEntriesByType('navigation')[0]);
  const at = (/** @type {string} */ name) => performance.getEntriesByType('resource').find((e) => e.name.endsWith(name));
  const boot = at('/boot.mjs');
  const client = /** @type {PerformanceResourceTiming | undefined} */ (at('/client.mjs'));
  return { navEnd: nav.responseEnd, bootStart: boot?.startTime, clientStart: client?.startTime, clientEnd: client?.responseEnd, mainStart: at('/main.mjs')?.startTime };
};
/** @typedef {{ total: number, reg?: number, imp?: number, navEnd: number, bootStart?: number, clientStart?: number, clientEnd?: number, mainStart?: number }} Row */
/** @type {{ floor: Row[], ours: Row[] }} */
const rows = { floor: [], ours: [] };
for (let i = 0; i < reloads; i++) {
  for (const [name, p] of /** @type {const} */ ([['floor', floor], ['ours', page]])) {
    const r = await measureLoad(p, { timeoutMs: 30000 });
    rows[name].push({ ...(await p.evaluate(phases)), total: /** @type {number} */ (r.totalMs), reg: r.registerMs, imp: r.clientImportMs });
  }
}
const ms = (/** @type {number | undefined} */ x) => (x === undefined ? '–' : x.toFixed(1));
for (const name of /** @type {const} */ (['floor', 'ours'])) {
  const of = (/** @type {keyof Row} */ key) => rows[name].map((r) => r[key]).filter((x) => typeof x === 'number');
  const total = of('total');
  console.log(`${name.padEnd(5)} navigation → app imported p50 ${ms(percentile(total, 50))} p95 ${ms(percentile(total, 95))}; medians:`,
    ['navEnd', 'bootStart', 'clientStart', 'clientEnd', 'mainStart', 'imp', 'reg'].map((k) => `${k} ${ms(percentile(of(/** @type {keyof Row} */ (k)), 50))}`).join(', '));
}
console.log(`ours / floor, p50: ${((percentile(rows.ours.map((r) => r.total), 50) ?? NaN) / (percentile(rows.floor.map((r) => r.total), 50) ?? NaN)).toFixed(2)}`);
await browser.close();
await server.close();
floorServer.close();
await rm(dir, { recursive: true, force: true });
