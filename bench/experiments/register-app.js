#!/usr/bin/env node
// @ts-check
/**
 * Experiment, not part of `npm run bench`: the benchmark's `registerModuleRelay()` section
 * alone (bench/register.js: the app graph, warm reloads quiet and then with two CPU hogs),
 * to compare worker or client variants quickly. Prints p50 / p95 / p99 / max of the
 * `registerModuleRelay()` call, the client's `import()` and navigation → app imported.
 *   node bench/experiments/register-app.js [reloads]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { serve } from '../../dist/server/index.js';
import { launchChromium } from '../../scripts/chromium.js';
import { GRAPHS, importClosure } from '../graphs.js';
import { measureRegister } from '../register.js';
import { createSite } from '../site.js';

const graph = GRAPHS.find((g) => g.name === 'app');
if (!graph) throw new Error('no app graph');
const dir = await mkdtemp(path.join(os.tmpdir(), 'modrelay-register-'));
const site = await createSite(graph, dir, 'app', 'modrelay');
const modules = await importClosure(site.root, site.entryUrl);
const server = await serve({ root: site.root, port: 0, relayPort: 0 });
const browser = await launchChromium();
try {
  const out = await measureRegister(browser, { url: server.url, modules: modules.size, reloads: Number(process.argv[2] ?? 60), timeoutMs: 30000 });
  for (const [hogs, v] of Object.entries(out)) {
    console.log(hogs, JSON.stringify({ registerMs: v.registerMs, clientImportMs: v.clientImportMs, totalMs: v.totalMs, failed: v.failed }));
  }
} finally {
  await browser.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
