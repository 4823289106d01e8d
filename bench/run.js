#!/usr/bin/env node
// @ts-check
/**
 * `npm run bench [-- --quick] [--runs N] [--edits N] [--graphs three,lodash-es] [--skip-load]`
 *
 * Loads real module graphs (three, lodash-es) in Debian's Chromium through every way of
 * serving them (see modes.js and docs/performance.md), all in one run, modes interleaved
 * round-robin, then measures hot-update latency and the relay under load. Writes
 * bench/results/<date>T<hhmm>.json (every sample), latest.md and latest.svg (and, for a full run of
 * every graph, the README's performance block: readme.js); a --quick run
 * writes <date>T<hhmm>-quick.json, latest-quick.md and latest-quick.svg.
 *
 * Plain ESM JavaScript with JSDoc types: Node 20 cannot run TypeScript, and a bench that
 * needs its own compile step is one more thing to break on a clean clone.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from '../scripts/chromium.js';
import { caddyVersion, freePort, startCaddy } from './caddy.js';
import { GRAPHS, importClosure, pickLeaf } from './graphs.js';
import { startServerHost } from './hosts.js';
import { measureHot } from './hot.js';
import { BUSY_CORES, cpuWindow, loadAverage, waitQuiet } from './quiet.js';
import { measureRegister } from './register.js';
import { runLoad } from './load.js';
import { CACHE_STORAGE, MODES } from './modes.js';
import { POLL_MS, durableAfterLoad, measureLoad, waitCopied, waitRouted, watchSources } from './page-load.js';
import { writeReadme } from './readme.js';
import { renderMarkdown, summarize } from './report.js';
import { createSite } from './site.js';
import { renderChart } from './svg.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    edits: { type: 'string' },
    graphs: { type: 'string' },
    'skip-load': { type: 'boolean', default: false },
  },
});
const quick = Boolean(args.quick);
const RUNS = Number(args.runs ?? (quick ? 3 : 7));
const EDITS = Number(args.edits ?? (quick ? 10 : 30));
const LOAD_LEVELS = quick ? [20, 50] : [50, 200];
const TIMEOUT_MS = quick ? 20_000 : 60_000;
const UPDATE_WAIT_MS = 5000;
/** Times a sample taken while another process held the CPU is taken again (bench/quiet.js). */
const RETAKES = 2;
/** Reloads after the first load of a warm mode, before its samples (see below). */
const WARMUP_RELOADS = quick ? 1 : 2;
// A quick run measures three only, so it stays under two minutes on two cores.
const graphNames = args.graphs ? String(args.graphs).split(',') : quick ? ['three'] : GRAPHS.map((g) => g.name);
const graphs = GRAPHS.filter((g) => graphNames.includes(g.name));

const started = Date.now();
const log = (/** @type {string} */ msg) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
const errorText = (/** @type {unknown} */ e) => String(e instanceof Error ? e.message : e).split('\n')[0] ?? 'error';

const tmp = await mkdtemp(path.join(os.tmpdir(), 'modrelay-bench-'));
const host = await startServerHost();
/** @type {import('playwright-core').Browser | null} */
let browser = null;
/** @type {{ close(): Promise<void> } | null} */
let caddy = null;
/** @type {Record<string, any>} */
const results = {
  schema: 1,
  date: new Date().toISOString(),
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  quick,
  runs: RUNS,
  edits: EDITS,
  commit: git(['rev-parse', '--short', 'HEAD']),
  // dist/ is built from the working tree: name what differs from the commit.
  uncommitted: (git(['status', '--porcelain', '--', 'server', 'sw', 'client', 'protocol']) ?? '')
    .split('\n').filter(Boolean).map((line) => line.slice(3)),
  machine: {},
  graphs: {},
  modes: {},
  hot: {},
  load: [],
  errors: [],
};

try {
  const caddyAvailable = await caddyVersion();
  browser = await launchChromium();
  results.machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    chromium: browser.version(),
    caddy: caddyAvailable,
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    vite: JSON.parse(await readFile(new URL('../node_modules/vite/package.json', import.meta.url), 'utf8')).version,
  };
  log(`machine: ${results.machine.cpu} ×${results.machine.cores}, node ${process.version}, chromium ${browser.version()}`);
  if (!caddyAvailable) log('caddy is not installed: the proxy modes are skipped (apt-get install caddy)');

  // ── sites and servers ──
  /** @type {Record<string, any>} */
  const setup = {};
  for (const graph of graphs) {
    const dir = path.join(tmp, graph.name);
    /** @param {string} name @param {import('./site.js').PageKind} kind */
    const site = (name, kind) => createSite(graph, dir, name, kind);
    // Copies are independent: make them at once.
    const kinds = /** @type {const} */ ({
      immutable: 'plain', nocache: 'plain', vite: 'plain', modrelay: 'modrelay',
      'modrelay-edit': 'modrelay', 'modrelay-cs-edit': 'modrelay', 'modrelay-hot': 'modrelay',
      'modrelay-cs-hot': 'modrelay', 'vite-hot': 'vite-hot',
    });
    const made = await Promise.all(Object.entries(kinds).map(([name, kind]) => site(name, kind)));
    const sites = /** @type {Record<keyof typeof kinds, { root: string, entryUrl: string }>} */ (
      Object.fromEntries(Object.keys(kinds).map((name, i) => [name, made[i]])));
    const modules = await importClosure(sites.immutable.root, sites.immutable.entryUrl);
    const leaf = pickLeaf(modules);
    results.graphs[graph.name] = {
      entry: sites.immutable.entryUrl,
      modules: modules.size,
      bytes: [...modules.values()].reduce((sum, m) => sum + m.size, 0),
      leaf,
    };
    const headers = graph.headers ?? {};
    const proxyPorts = caddyAvailable ? { nocache: await freePort(), modrelay: await freePort() } : null;
    /** @param {string} cmd @param {Record<string, unknown>} a */
    const start = (cmd, a) => host.call(cmd, a).catch((e) => ({ error: errorText(e) }));
    /** @type {Record<string, any>} */
    const servers = {
      immutable: await start('static', { root: sites.immutable.root, cache: 'immutable', headers }),
      nocache: await start('static', { root: sites.nocache.root, cache: 'no-cache', headers }),
      vite: await start('vite', { root: sites.vite.root, headers }),
      modrelay: await start('modrelay', {
        root: sites.modrelay.root, headers,
        ...(proxyPorts ? { allowOrigins: [`http://127.0.0.1:${proxyPorts.modrelay}`] } : {}),
      }),
      'modrelay-edit': await start('modrelay', { root: sites['modrelay-edit'].root, headers }),
      'modrelay-cs-edit': await start('modrelay', { root: sites['modrelay-cs-edit'].root, headers }),
      'modrelay-hot': await start('modrelay', { root: sites['modrelay-hot'].root, headers }),
      'modrelay-cs-hot': await start('modrelay', { root: sites['modrelay-cs-hot'].root, headers }),
      'vite-hot': await start('vite', { root: sites['vite-hot'].root, headers }),
    };
    if (proxyPorts) {
      servers['proxy-nocache'] = servers.nocache.error ? servers.nocache
        : { ...servers.nocache, url: `http://127.0.0.1:${proxyPorts.nocache}/`, upstream: servers.nocache.url };
      servers['proxy-modrelay'] = servers.modrelay.error ? servers.modrelay
        : { ...servers.modrelay, url: `http://127.0.0.1:${proxyPorts.modrelay}/`, upstream: servers.modrelay.url };
    } else {
      servers['proxy-nocache'] = servers['proxy-modrelay'] = { error: 'caddy is not installed' };
    }
    for (const [name, s] of Object.entries(servers)) if (s.error) log(`${graph.name}: server ${name} failed: ${s.error}`);
    setup[graph.name] = { graph, sites, servers, leaf };
  }
  if (caddyAvailable) {
    const proxied = Object.values(setup).flatMap((s) => ['proxy-nocache', 'proxy-modrelay']
      .map((n) => s.servers[n]).filter((x) => !x.error)
      .map((x) => ({ port: Number(new URL(x.url).port), upstream: x.upstream })));
    try {
      caddy = await startCaddy(tmp, proxied);
    } catch (e) {
      log(`caddy failed: ${errorText(e)}`);
      for (const s of Object.values(setup)) s.servers['proxy-nocache'] = s.servers['proxy-modrelay'] = { error: `caddy failed: ${errorText(e)}` };
    }
  }

  log('sites and servers ready');

  // ── page loads ──
  /** @typedef {{ graph: string, mode: import('./modes.js').Mode, server: any, mount: string, leafFile: string, leafOriginal: string, leafPath: string, context?: any, page?: any, sources?: any, samples: any[], setAside: any[], setupResults: any[], error?: string }} Instance */
  /** @type {Instance[]} */
  const instances = [];
  for (const { graph, sites, servers, leaf } of Object.values(setup)) {
    const leafOriginal = await readFile(path.join(sites.immutable.root, ...leaf.split('/')), 'utf8');
    for (const mode of MODES) {
      // Edit modes change the leaf in their own server's copy; the others never edit.
      const leafFile = path.join((sites[/** @type {keyof typeof sites} */ (mode.server)] ?? sites.immutable).root, ...leaf.split('/'));
      instances.push({ graph: graph.name, mode, server: servers[mode.server], mount: graph.mount, leafFile, leafOriginal, leafPath: leaf, samples: [], setAside: [], setupResults: [] });
    }
  }

  /** @param {Instance} inst */
  const pageUrl = (inst) => `${inst.server.url}${inst.mode.query ?? ''}`;

  /** Module requests the server saw since the last call (HTTP servers only). */
  const serverCounts = async (/** @type {any} */ server) => (server.handle ? host.call('counts', { handle: server.handle }) : null);

  // Warm and edit modes keep one context: a first load, then warm-up reloads, so the
  // samples see the steady state (V8 code cache stored, Service Worker cache filled).
  // The warm-up loads are kept in the results: they show how soon that state is reached.
  for (const inst of instances) {
    if (inst.mode.state === 'cold' || inst.server.error) continue;
    try {
      inst.context = await browser.newContext();
      inst.page = await inst.context.newPage();
      inst.sources = watchSources(inst.page, inst.mount);
      inst.setupResults.push({ ...await measureLoad(inst.page, { url: pageUrl(inst), timeoutMs: TIMEOUT_MS }), sources: inst.sources.take() });
      // The default store copies the modules after the first load, then the routed worker
      // version takes over: warm means copied and routed.
      if (inst.mode.server.includes('modrelay') && inst.mode.query !== CACHE_STORAGE) {
        await waitCopied(inst.page, results.graphs[inst.graph].modules, 3 * TIMEOUT_MS);
        await waitRouted(inst.page, 3 * TIMEOUT_MS);
      }
      for (let i = 0; i < WARMUP_RELOADS; i++) {
        inst.setupResults.push({ ...await measureLoad(inst.page, { timeoutMs: TIMEOUT_MS }), sources: inst.sources.take() });
      }
    } catch (e) {
      inst.error = errorText(e);
      log(`${inst.graph} ${inst.mode.key}: setup failed: ${inst.error}`);
    }
  }

  log('warm contexts ready');

  let editCount = 0;
  /** @param {Instance} inst */
  async function sample(inst) {
    if (inst.server.error) return { ok: false, error: `server: ${inst.server.error}` };
    if (inst.mode.state !== 'cold' && !inst.page) return { ok: false, error: `setup: ${inst.error}` };
    /** @type {Record<string, unknown>} */
    const extra = {};
    /** @type {any} */
    let context = null;
    try {
      if (inst.mode.state === 'edit') {
        // Change the leaf, wait (bounded) until the page hears of it, then reload.
        const since = performance.timeOrigin + performance.now() - 1;
        await writeFile(inst.leafFile, `${inst.leafOriginal}\n// modrelay bench edit ${++editCount}\n`);
        try {
          await inst.page.waitForFunction(
            (/** @type {{ since: number, leaf: string }} */ { since, leaf }) => /** @type {any} */ (window).__updates.some((/** @type {any} */ u) => u.at >= since && String(u.url).endsWith(leaf)),
            { since, leaf: inst.leafPath },
            { timeout: UPDATE_WAIT_MS, polling: POLL_MS },
          );
          extra.updateSeen = true;
        } catch {
          extra.updateSeen = false;
        }
      }
      await serverCounts(inst.server);
      let result;
      if (inst.mode.state === 'cold') {
        context = await /** @type {import('playwright-core').Browser} */ (browser).newContext();
        const page = await context.newPage();
        const sources = watchSources(page, inst.mount);
        // A first visit through modrelay: how soon after `load` every file it loaded is on disk.
        const durable = inst.mode.server.includes('modrelay') ? durableAfterLoad(page, TIMEOUT_MS) : null;
        result = await measureLoad(page, { url: pageUrl(inst), timeoutMs: TIMEOUT_MS });
        extra.sources = sources.take();
        const durableAt = durable && await durable;
        if (durableAt) Object.assign(extra, { durableAfterLoadMs: durableAt.afterLoad, durableAfterImportMs: durableAt.afterImport });
      } else {
        result = await measureLoad(inst.page, { timeoutMs: TIMEOUT_MS });
        extra.sources = inst.sources.take();
      }
      const counts = await serverCounts(inst.server);
      if (counts) extra.serverModuleRequests = counts.modules, extra.server304 = counts.notModified;
      return { ...result, ...extra };
    } catch (e) {
      return { ok: false, error: errorText(e), ...extra };
    } finally {
      if (context) await context.close().catch(() => {});
    }
  }

  /**
   * A sample on a quiet machine: it waits (bounded) until no other process holds the CPU, and
   * one taken while another process did anyway is set aside and taken again (RETAKES times).
   * @param {Instance} inst
   */
  async function quietSample(inst) {
    for (let attempt = 0; ; attempt++) {
      const { waitedMs } = await waitQuiet();
      const cpu = await cpuWindow();
      const taken = await sample(inst);
      const s = { ...taken, quiet: { waitedMs, foreignCores: round2(await cpu.end()), loadAverage: loadAverage() } };
      if (s.quiet.foreignCores === null || s.quiet.foreignCores <= BUSY_CORES || attempt >= RETAKES) return s;
      inst.setAside.push(s);
    }
  }

  for (let run = 0; run < RUNS; run++) {
    // Round-robin, starting one mode later each run so no mode always follows the same one.
    const order = instances.map((_, i) => instances[(i + run) % instances.length]);
    for (const inst of /** @type {Instance[]} */ (order)) {
      const s = await quietSample(inst);
      inst.samples.push(s);
      if (!s.ok && run === 0) log(`${inst.graph} ${inst.mode.key}: ${s.error}`);
    }
    log(`run ${run + 1}/${RUNS} done (load average ${loadAverage()})`);
  }
  for (const inst of instances) {
    results.modes[inst.graph] ??= {};
    results.modes[inst.graph][inst.mode.key] = {
      label: inst.mode.label,
      state: inst.mode.state,
      ...(inst.server.error ? { error: inst.server.error } : inst.error ? { error: inst.error } : {}),
      setupLoads: inst.setupResults,
      samples: inst.samples,
      setAside: inst.setAside,
    };
    await inst.context?.close().catch(() => {});
  }

  // ── hot updates ──
  for (const { graph, sites, servers, leaf } of Object.values(setup)) {
    log(`${graph.name}: hot updates (${EDITS} edits each)`);
    const leafFile = (/** @type {string} */ site) => path.join(sites[site].root, ...leaf.split('/'));
    const quiet = waitQuiet;
    results.hot[graph.name] = await measureHot(browser, [
      { tool: 'modrelay', url: `${servers['modrelay-hot'].url}?hot`, error: servers['modrelay-hot'].error, leafFile: leafFile('modrelay-hot'), match: leaf, quiet },
      {
        tool: 'modrelay-cs', url: `${servers['modrelay-cs-hot'].url}${CACHE_STORAGE}&hot`, error: servers['modrelay-cs-hot'].error,
        leafFile: leafFile('modrelay-cs-hot'), match: leaf, quiet,
      },
      { tool: 'vite', url: servers['vite-hot'].url, error: servers['vite-hot'].error, leafFile: leafFile('vite-hot'), match: '', quiet },
    ], { edits: EDITS, gapMs: 150, timeoutMs: TIMEOUT_MS });
  }

  // ── the fixed cost of a warm load, on the small app ──
  const app = setup.app;
  if (app && !app.servers.modrelay.error) {
    const reloads = quick ? 40 : 200;
    log(`app: registerModuleRelay() over ${reloads} warm reloads, quiet, then with two CPU hogs`);
    try {
      results.register = await measureRegister(browser, { url: app.servers.modrelay.url, modules: results.graphs.app.modules, reloads, timeoutMs: TIMEOUT_MS });
    } catch (e) {
      results.register = { error: errorText(e) };
    }
  }
} catch (e) {
  results.errors.push(String(e instanceof Error ? e.stack : e));
  log(`failed: ${errorText(e)}`);
} finally {
  await browser?.close().catch(() => {});
  await caddy?.close().catch(() => {});
  await host.call('closeAll').catch(() => {});
  await host.close();
}

// ── relay under load (browser and servers gone, so they do not compete for the CPU) ──
if (!args['skip-load'] && results.graphs.three) {
  const root = path.join(tmp, 'three', 'immutable');
  for (const clients of LOAD_LEVELS) {
    log(`relay under load: ${clients} clients`);
    try {
      results.load.push(await runLoad({ root, entryUrl: results.graphs.three.entry, clients, timeoutMs: quick ? 30_000 : 90_000 }));
    } catch (e) {
      results.load.push({ clients, error: errorText(e) });
    }
  }
}

results.machine.loadAverageAtEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
results.durationMs = Date.now() - started;
results.summary = summarize(results);
const outDir = new URL('./results/', import.meta.url).pathname;
await mkdir(outDir, { recursive: true });
// A quick (smoke) run never replaces the full run's files that the docs show.
const stem = quick ? 'latest-quick' : 'latest';
// Named to the minute: a second run on the same day must not replace the one the README names.
const jsonName = `${results.date.slice(0, 16).replace(':', '')}${quick ? '-quick' : ''}.json`;
const markdown = renderMarkdown(results);
await writeFile(path.join(outDir, jsonName), `${JSON.stringify(results, null, 2)}\n`);
await writeFile(path.join(outDir, `${stem}.md`), markdown);
await writeFile(path.join(outDir, `${stem}.svg`), renderChart(results));
console.log(`\n${markdown}`);
log(`wrote bench/results/${jsonName}, ${stem}.md, ${stem}.svg`);
// The README shows full runs of every graph only (bench/readme.js).
if (!quick && graphs.length === GRAPHS.length) {
  await writeReadme(path.resolve(outDir, '../..'), `bench/results/${jsonName}`);
  log('wrote the performance block of README.md');
}
await rm(tmp, { recursive: true, force: true });

/** @param {number | null} x */
function round2(x) {
  return x === null ? null : Math.round(x * 100) / 100;
}

/** @param {string[]} gitArgs */
function git(gitArgs) {
  try {
    // trimEnd, not trim: `status --porcelain` lines start with a significant space.
    return execFileSync('git', gitArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trimEnd();
  } catch {
    return null;
  }
}
