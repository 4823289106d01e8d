// @ts-check
/** Turns the raw samples into medians, the headline ratios, and the markdown report. */
import { median, percentile, round } from './stats.js';

/** @param {any[]} samples @param {string} key */
const med = (samples, key) => median(samples.filter((s) => s.ok).map((s) => s[key]));

/**
 * First visits through modrelay: how long until every file the page loaded is on disk, p50 and
 * p95, from the graph's import resolving (`load` in runs before that was recorded).
 * @param {any[]} ok
 */
function durable(ok) {
  const from = ok.some((s) => typeof s.durableAfterImportMs === 'number') ? 'import' : 'load';
  const values = ok.map((s) => (from === 'import' ? s.durableAfterImportMs : s.durableAfterLoadMs)).filter((x) => typeof x === 'number');
  return { durableP50Ms: round(percentile(values, 50)), durableP95Ms: round(percentile(values, 95)), durableFrom: values.length ? from : undefined };
}

/** @param {any} mode */
function modeSummary(mode) {
  const ok = mode.samples.filter((/** @type {any} */ s) => s.ok);
  const imports = ok.map((/** @type {any} */ s) => s.importMs);
  /** @type {Record<string, number>} */
  const sources = {};
  for (const key of new Set(ok.flatMap((/** @type {any} */ s) => Object.keys(s.sources ?? {})))) {
    sources[key] = median(ok.map((/** @type {any} */ s) => s.sources?.[key] ?? 0));
  }
  const failures = mode.samples.filter((/** @type {any} */ s) => !s.ok).map((/** @type {any} */ s) => s.error);
  return {
    label: mode.label,
    n: ok.length,
    failed: failures.length,
    firstError: mode.error ?? failures[0] ?? null,
    importMs: round(med(mode.samples, 'importMs')),
    importP95Ms: round(percentile(imports, 95)),
    totalP95Ms: round(percentile(ok.map((/** @type {any} */ s) => s.totalMs), 95)),
    minMs: round(Math.min(...imports)),
    maxMs: round(Math.max(...imports)),
    totalMs: round(med(mode.samples, 'totalMs')),
    registerMs: round(med(mode.samples, 'registerMs')),
    modules: med(mode.samples, 'modules'),
    fromHttpCache: med(mode.samples, 'fromHttpCache'),
    serverModuleRequests: med(mode.samples, 'serverModuleRequests'),
    server304: med(mode.samples, 'server304'),
    sources,
    updateSeen: mode.state === 'edit' ? mode.samples.filter((/** @type {any} */ s) => s.updateSeen).length : undefined,
    // First visits through modrelay: `load` → every file the page loaded on disk.
    ...durable(ok),
  };
}

/** a / b, or null when either is missing. @param {number | null | undefined} a @param {number | null | undefined} b */
const ratio = (a, b) => (a != null && b != null && Number.isFinite(a) && Number.isFinite(b) && b > 0 ? round(a / b, 2) : null);

/** @param {any} results */
export function summarize(results) {
  /** @type {Record<string, any>} */
  const out = { modes: {}, ratios: {}, hot: {}, load: [] };
  for (const [graph, modes] of Object.entries(results.modes)) {
    const m = /** @type {Record<string, any>} */ ({});
    for (const [key, mode] of Object.entries(/** @type {Record<string, any>} */ (modes))) m[key] = modeSummary(mode);
    out.modes[graph] = m;
    const ms = (/** @type {string} */ k) => m[k]?.importMs;
    const hot = results.hot[graph] ?? {};
    const p95 = (/** @type {string} */ k) => m[k]?.importP95Ms;
    const total = (/** @type {string} */ k) => m[k]?.totalMs;
    out.ratios[graph] = {
      // The default store (http-cache: relay first, then the routed worker and the HTTP cache).
      modrelayWarmOverFloor: ratio(ms('modrelay-warm'), ms('floor')),
      modrelayWarmP95OverFloor: ratio(p95('modrelay-warm'), p95('floor')),
      modrelayWarmTotalOverFloor: ratio(total('modrelay-warm'), total('floor')),
      viteWarmOverModrelayWarm: ratio(ms('vite-warm'), ms('modrelay-warm')),
      httpWarmOverModrelayWarm: ratio(ms('http-warm'), ms('modrelay-warm')),
      firstVisitOverHttpCold: ratio(total('modrelay-first'), total('http-cold')),
      firstVisitImportOverHttpCold: ratio(ms('modrelay-first'), ms('http-cold')),
      proxyFirstVisitOverProxyHttpCold: ratio(total('proxy-modrelay-first'), total('proxy-http-cold')),
      editOverWarm: ratio(ms('modrelay-edit'), ms('modrelay-warm')),
      proxyHttpWarmOverProxyModrelayWarm: ratio(ms('proxy-http-warm'), ms('proxy-modrelay-warm')),
      // `store: 'cache-storage'`, chosen explicitly.
      cacheStorageWarmOverFloor: ratio(ms('modrelay-cs-warm'), ms('floor')),
      cacheStorageWarmP95OverFloor: ratio(p95('modrelay-cs-warm'), p95('floor')),
      viteWarmOverCacheStorageWarm: ratio(ms('vite-warm'), ms('modrelay-cs-warm')),
      // Save → the update event in the page (not like with like: see bench/hot.js).
      hotP95ModrelayMs: round(hot.modrelay?.p95Ms),
      hotP95CacheStorageMs: round(hot['modrelay-cs']?.p95Ms),
      hotP95ViteMs: round(hot.vite?.p95Ms),
      // First visit: `load` → the page's files all on disk (offline from then on, even if the browser dies).
      durableP50Ms: m['modrelay-first']?.durableP50Ms ?? null,
      durableP95Ms: m['modrelay-first']?.durableP95Ms ?? null,
      durableFrom: m['modrelay-first']?.durableFrom ?? null,
      // Save → the new code running in the page, p50 and p95.
      hotRunP50ModrelayMs: round(hot.modrelay?.runP50Ms),
      hotRunP95ModrelayMs: round(hot.modrelay?.runP95Ms),
      hotRunP50CacheStorageMs: round(hot['modrelay-cs']?.runP50Ms),
      hotRunP95CacheStorageMs: round(hot['modrelay-cs']?.runP95Ms),
      hotRunP50ViteMs: round(hot.vite?.runP50Ms),
      hotRunP95ViteMs: round(hot.vite?.runP95Ms),
    };
    out.hot[graph] = Object.fromEntries(Object.entries(hot).map(([tool, h]) => [tool, {
      p50Ms: round(/** @type {any} */ (h).p50Ms), p95Ms: round(/** @type {any} */ (h).p95Ms),
      runP50Ms: round(/** @type {any} */ (h).runP50Ms), runP95Ms: round(/** @type {any} */ (h).runP95Ms),
      n: /** @type {any} */ (h).samples.length, errors: /** @type {any} */ (h).errorCount ?? 0, error: /** @type {any} */ (h).error ?? null,
    }]));
  }
  out.quiet = quietness(results);
  out.load = results.load.map((/** @type {any} */ l) => (l.error ? l : {
    clients: l.clients,
    modulesPerSec: round(l.modulesPerSec, 0),
    mbPerSec: round(l.mbPerSec),
    requestP95Ms: round(l.requestP95Ms),
    graphP95Ms: round(l.graphP95Ms),
    relayPeakRssMB: round(l.relayPeakRssMB),
    errors: l.errorCount,
    pushedComplete: l.pushedComplete,
  }));
  return out;
}

/**
 * How quiet the machine was while the page-load samples were taken (bench/quiet.js): other
 * processes' CPU during the samples kept, in cores, how many samples were set aside and taken
 * again, and the load average. Null for runs from before it was recorded.
 * @param {any} results
 */
export function quietness(results) {
  const modes = Object.values(results.modes).flatMap((m) => Object.values(/** @type {Record<string, any>} */ (m)));
  const kept = modes.flatMap((m) => m.samples ?? []).map((s) => s.quiet).filter(Boolean);
  if (kept.length === 0) return null;
  const foreign = kept.map((q) => q.foreignCores).filter((x) => x !== null);
  const loads = kept.map((q) => q.loadAverage);
  return {
    samples: kept.length,
    foreignCoresP50: round(percentile(foreign, 50), 2),
    foreignCoresP95: round(percentile(foreign, 95), 2),
    foreignCoresMax: round(Math.max(...foreign), 2),
    setAside: modes.reduce((sum, m) => sum + (m.setAside?.length ?? 0), 0),
    waitedS: round(kept.reduce((sum, q) => sum + q.waitedMs, 0) / 1000, 0),
    loadAverageMin: Math.min(...loads),
    loadAverageMax: Math.max(...loads),
  };
}

/** The sentence a report says about `quietness`. @param {ReturnType<typeof quietness>} q */
export function quietLine(q) {
  if (!q) return 'How quiet the machine was was not recorded in this run.';
  return `Quiet: other processes used ${q.foreignCoresP50} cores (p50), ${q.foreignCoresP95} (p95), ${q.foreignCoresMax} at most during the ${q.samples} page-load samples kept;`
    + ` ${q.setAside} sample(s) taken while another process held the CPU (> 0.2 cores) were set aside and taken again;`
    + ` ${q.waitedS} s spent waiting for a quiet machine; load average ${q.loadAverageMin}–${q.loadAverageMax} during the samples (the bench's own processes count there too).`;
}

/** @type {Record<string, string>} */
const HOT_LABELS = {
  modrelay: 'modrelay, default store (modrelay:update)',
  'modrelay-cs': 'modrelay cache-storage (modrelay:update)',
  vite: 'Vite HMR (vite:beforeUpdate)',
};

const show = (/** @type {unknown} */ v) => (v == null || Number.isNaN(v) ? '–' : String(v));

/** @param {any} results */
export function renderMarkdown(results) {
  const s = results.summary;
  const graphs = Object.keys(s.modes);
  const mc = results.machine;
  const lines = [
    `# modrelay benchmark${results.quick ? ' (quick)' : ''}`,
    '',
    `\`${results.command}\` · ${results.date.slice(0, 16).replace('T', ' ')} UTC · commit ${show(results.commit)}${results.uncommitted?.length ? ` + uncommitted ${results.uncommitted.join(', ')}` : ''}`,
    `${mc.cpu} ×${mc.cores}, ${mc.memoryGB} GB · Node ${mc.node} · Chromium ${mc.chromium} · Vite ${mc.vite} · ${mc.caddy ? `Caddy ${String(mc.caddy).split(' ')[0]}` : 'no Caddy'} · load average ${show(mc.loadAverageAtStart?.[0])} → ${show(mc.loadAverageAtEnd?.[0])}`,
    '',
    quietLine(s.quiet ?? null),
    '',
    `Page loads: ${results.runs} runs, modes interleaved; \`import()\` of the graph entry → resolved, in ms: **median** / p95 (min–max); "nav" = navigation start → resolved (\`totalMs\`), median / p95.`,
    '"to server" = module requests that reached the HTTP server (HTTP and Vite modes); "sources" = where the browser got the modules (modrelay\'s `x-modrelay-source`; "HTTP cache": Resource Timing saw no request and no fetch handler).',
    '',
  ];
  const head = ['Mode', ...graphs.flatMap((g) => [`${g} (${results.graphs[g].modules} modules) ms`, 'to server / sources'])];
  lines.push(`| ${head.join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`);
  const keys = Object.keys(s.modes[graphs[0] ?? ''] ?? {});
  for (const key of keys) {
    const cells = [s.modes[/** @type {string} */ (graphs[0])][key].label];
    for (const g of graphs) {
      const m = s.modes[g][key];
      if (!m || m.n === 0) {
        cells.push(`failed: ${show(m?.firstError).slice(0, 60)}`, '–');
        continue;
      }
      cells.push(`**${m.importMs}** / ${m.importP95Ms} (${m.minMs}–${m.maxMs}); nav ${m.totalMs} / ${m.totalP95Ms}${m.failed ? ` ⚠ ${m.failed} failed` : ''}`);
      const src = Object.entries(m.sources).filter(([k, v]) => k !== 'http' && v > 0).map(([k, v]) => `${k} ${v}`).join(', ')
        || (m.fromHttpCache > 0 ? `HTTP cache ${m.fromHttpCache}` : '');
      cells.push(m.serverModuleRequests != null && Number.isFinite(m.serverModuleRequests)
        ? `${m.serverModuleRequests}${m.server304 ? ` (${m.server304} × 304)` : ''}`
        : src || '–');
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  lines.push('', '## Headline ratios', '', `| Ratio | target | ${graphs.join(' | ')} |`, `| --- | --- |${graphs.map(() => ' --- ').join('|')}|`);
  /** @type {[string, string, string][]} */
  const rows = [
    ['default store warm / floor (median)', '≤ 1.2', 'modrelayWarmOverFloor'],
    ['default store warm / floor (p95)', '≤ 1.5', 'modrelayWarmP95OverFloor'],
    ['default store warm / floor (navigation → ready, median)', '≤ 1.25', 'modrelayWarmTotalOverFloor'],
    ['Vite warm / default store warm', '≥ 5 (three), ≥ 8 (lucide)', 'viteWarmOverModrelayWarm'],
    ['HTTP warm / default store warm', '> 1', 'httpWarmOverModrelayWarm'],
    ['default store first visit / HTTP cold (navigation → loaded)', '≤ 1', 'firstVisitOverHttpCold'],
    ['default store first visit / HTTP cold (import() only)', '≤ 1', 'firstVisitImportOverHttpCold'],
    ['default store first visit: graph imported (older runs: `load`) → every file on disk, p50 (ms)', '≤ 1000', 'durableP50Ms'],
    ['default store first visit: graph imported (older runs: `load`) → every file on disk, p95 (ms)', '≤ 1000', 'durableP95Ms'],
    ['Caddy→ default store first visit / Caddy→HTTP cold (navigation → loaded)', '≤ 1', 'proxyFirstVisitOverProxyHttpCold'],
    ['default store edit reload / warm reload', '≤ 1.1', 'editOverWarm'],
    ['Caddy→HTTP warm / Caddy→default store warm', '> 1', 'proxyHttpWarmOverProxyModrelayWarm'],
    ['cache-storage warm / floor (median)', '–', 'cacheStorageWarmOverFloor'],
    ['cache-storage warm / floor (p95)', '–', 'cacheStorageWarmP95OverFloor'],
    ['Vite warm / cache-storage warm', '–', 'viteWarmOverCacheStorageWarm'],
    ['save → new code running p50, default store (ms)', '< Vite', 'hotRunP50ModrelayMs'],
    ['save → new code running p95, default store (ms)', '< Vite', 'hotRunP95ModrelayMs'],
    ['save → new code running p95, cache-storage (ms)', '–', 'hotRunP95CacheStorageMs'],
    ['save → new code running p50, Vite HMR (ms)', '', 'hotRunP50ViteMs'],
    ['save → new code running p95, Vite HMR (ms)', '', 'hotRunP95ViteMs'],
    ['save → update event p95, default store (ms)', '–', 'hotP95ModrelayMs'],
    ['save → update event p95, Vite HMR (ms)', '', 'hotP95ViteMs'],
  ];
  for (const [label, target, key] of rows) lines.push(`| ${label} | ${target} | ${graphs.map((g) => show(s.ratios[g][key])).join(' | ')} |`);

  lines.push('', `## Hot updates (${results.edits} edits each): save → new code running in the page, and save → the page's update event`, '',
    'New code running: modrelay\'s page imports the changed URL with `?t=…` on `modrelay:update`; Vite re-imports through its HMR. The event: `modrelay:update` is sent once the worker\'s copy is replaced (a fetch right after it gets the new bytes), `vite:beforeUpdate` when the HMR message arrives, before Vite transformed anything.', '',
    '| Graph | tool (event) | new code running p50 / p95 ms | event p50 / p95 ms | n | errors |', '| --- | --- | --- | --- | --- | --- |');
  for (const g of graphs) {
    for (const [tool, h] of Object.entries(/** @type {Record<string, any>} */ (s.hot[g] ?? {}))) {
      lines.push(`| ${g} | ${HOT_LABELS[tool] ?? tool} | ${show(h.runP50Ms)} / ${show(h.runP95Ms)} | ${show(h.p50Ms)} / ${show(h.p95Ms)} | ${h.n} | ${h.error ? `failed: ${String(h.error).slice(0, 60)}` : h.errors} |`);
    }
  }
  const register = results.register;
  if (register) {
    lines.push('', '## Fixed cost of a warm load (app graph, default store, one tab reloaded)', '');
    if (register.error) lines.push(`failed: ${register.error}`);
    else {
      lines.push('| CPU hogs | n | registerModuleRelay() ms p50 / p95 / p99 / max | import() of the client ms p50 / p95 / p99 | navigation → app imported ms p50 / p95 / p99 | failed |', '| --- | --- | --- | --- | --- | --- |');
      for (const [key, r] of Object.entries(/** @type {Record<string, any>} */ (register))) {
        lines.push(`| ${key.replace('hogs', '')} | ${r.n} | ${r.registerMs.p50} / ${r.registerMs.p95} / ${r.registerMs.p99} / ${r.registerMs.max} | ${r.clientImportMs.p50} / ${r.clientImportMs.p95} / ${r.clientImportMs.p99} | ${r.totalMs.p50} / ${r.totalMs.p95} / ${r.totalMs.p99} | ${r.failed} |`);
      }
    }
  }
  if (s.load.length > 0) {
    lines.push('', '## Relay under load (three, every hash verified)', '', '| clients | modules/s | MB/s | p95 request ms | p95 whole graph ms | relay peak RSS MB | errors |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const l of s.load) {
      lines.push(l.error
        ? `| ${l.clients} | failed: ${String(l.error).slice(0, 80)} | | | | | |`
        : `| ${l.clients} | ${show(l.modulesPerSec)} | ${show(l.mbPerSec)} | ${show(l.requestP95Ms)} | ${show(l.graphP95Ms)} | ${show(l.relayPeakRssMB)} | ${l.errors} |`);
    }
  }
  if (results.errors.length > 0) lines.push('', '## Errors', '', ...results.errors.map((/** @type {string} */ e) => `- ${e.split('\n')[0]}`));
  lines.push('', `Run took ${Math.round(results.durationMs / 1000)} s.`, '');
  return lines.join('\n');
}
