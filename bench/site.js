// @ts-check
/**
 * One "site" per server under test: a private copy of a graph plus the page that times
 * `import()` of its entry. Private copies keep modes independent (an edit in one mode
 * never reaches another's cache) and keep node_modules untouched.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { copyGraph } from './graphs.js';
import { DURABLE_PREFIX, RESULT_PREFIX } from './page-load.js';

/** @typedef {'plain' | 'modrelay' | 'vite-hot'} PageKind */

/**
 * Records, in the page, how the graph's modules were delivered. Resource Timing sees
 * every module fetch (from the HTTP cache, through the Service Worker, or from the
 * network); its buffer defaults to 250 entries, fewer than our graphs hold. Its
 * deliveryType says "cache" for 304 revalidations too, so \`fromHttpCache\` also wants no
 * bytes transferred and no fetch handler (no worker, or a static route to the network).
 * @param {string} mount
 */
const timingHelpers = (mount) => `
performance.setResourceTimingBufferSize(10000);
function moduleStats() {
  const entries = performance.getEntriesByType('resource')
    .filter((e) => new URL(e.name).pathname.startsWith('/${mount}/'));
  return {
    modules: entries.length,
    viaServiceWorker: entries.filter((e) => e.workerStart > 0).length,
    fromHttpCache: entries.filter((e) => e.deliveryType === 'cache' && e.transferSize === 0
      && (e.workerStart === 0 || e.workerMatchedSourceType === 'network')).length,
    transferBytes: entries.reduce((sum, e) => sum + e.transferSize, 0),
  };
}
function record(result) {
  window.__bench = { ...result, totalMs: performance.now(), ...moduleStats() };
  console.debug(${JSON.stringify(RESULT_PREFIX)} + JSON.stringify(window.__bench));
}`;

/**
 * modrelay pages: once loaded, when the worker's record of this page says `complete` (every
 * file it loaded on disk: sw/cache/page-files.ts), logged as ms after the `load` event and ms
 * after the graph's import resolved (called then). The boot's imports end after `load` (a
 * module script's top-level await does not hold it), so on a first visit the first figure
 * includes the whole import. The bench reads both (bench/run.js).
 */
const durableHelper = `
function reportDurable() {
  const started = performance.now();
  const look = () => new Promise((resolve) => {
    const open = indexedDB.open('modrelay');
    open.onerror = () => resolve(false);
    open.onupgradeneeded = () => { open.transaction.abort(); resolve(false); };
    open.onsuccess = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains('modules')) { db.close(); return resolve(false); }
      const get = db.transaction('modules').objectStore('modules').get(location.href.split('#')[0]);
      get.onsuccess = () => { db.close(); resolve(get.result?.complete === true); };
      get.onerror = () => { db.close(); resolve(false); };
    };
  });
  const poll = async () => {
    if (await look()) {
      const loaded = performance.getEntriesByType('navigation')[0]?.loadEventEnd || started;
      return console.debug(${JSON.stringify(DURABLE_PREFIX)} + (performance.now() - loaded).toFixed(1) + ' ' + (performance.now() - started).toFixed(1));
    }
    if (performance.now() - started < 10000) setTimeout(poll, 20);
  };
  if (document.readyState === 'complete') poll();
  else addEventListener('load', () => poll(), { once: true });
}`;

/**
 * The boot script of each page kind. `importMs` is import() start → resolved;
 * `totalMs` is navigation start → resolved, so the Service Worker's start-up counts too.
 * @param {PageKind} kind
 * @param {string} entryUrl  root-relative URL of the graph entry
 * @param {string} mount
 */
function bootScript(kind, entryUrl, mount) {
  const timeImport = `
  const started = performance.now();
  try {
    await import(${JSON.stringify(entryUrl)});
    record({ ok: true, importMs: performance.now() - started, ...extra });
  } catch (error) {
    record({ ok: false, error: String((error && error.stack) || error), ...extra });
  }`;
  if (kind === 'plain') {
    return `${timingHelpers(mount)}\nconst extra = {};\n${timeImport}\n`;
  }
  if (kind === 'modrelay') {
    // The contract's boot: register the relay's Service Worker, then import the app.
    // Update events are stamped on the wall clock so the bench can compare with the
    // moment it wrote the file.
    // With `?hot` the page runs the changed module's new code on the event, as an app that
    // hot-swaps would: `import(url + '?t=…')` (bench/hot.js times the edit to that code running).
    return `${timingHelpers(mount)}
${durableHelper}
window.__updates = [];
const hot = new URLSearchParams(location.search).has('hot');
window.addEventListener('modrelay:update', (event) => {
  window.__updates.push({ url: event.detail && event.detail.url, at: performance.timeOrigin + performance.now() });
  if (hot && event.detail && event.detail.hash) import(event.detail.url + '?t=' + Date.now()).catch(() => {});
});
const extra = {};
try {
  const importStarted = performance.now();
  const { registerModuleRelay } = await import('/@modrelay/client.mjs');
  extra.clientImportMs = performance.now() - importStarted;
  const registerStarted = performance.now();
  // \`?store=cache-storage\` on the page URL picks that store (bench/modes.js).
  await registerModuleRelay({ store: new URLSearchParams(location.search).get('store') ?? undefined });
  extra.registerMs = performance.now() - registerStarted;
  extra.controlled = !!navigator.serviceWorker.controller;
} catch (error) {
  extra.registerError = String((error && error.stack) || error);
}
${timeImport}
reportDurable();
`;
  }
  // Vite's HMR: this module accepts itself, so an edit anywhere below it is an update
  // (not a full reload), and vite:beforeUpdate fires as soon as the payload arrives.
  return `import ${JSON.stringify(entryUrl)};
window.__updates ??= [];
if (import.meta.hot) {
  import.meta.hot.accept();
  import.meta.hot.on('vite:beforeUpdate', (payload) => {
    window.__updates.push({ url: payload.updates.map((u) => u.path).join(' '), at: performance.timeOrigin + performance.now() });
  });
  import.meta.hot.on('vite:beforeFullReload', () => {
    window.__updates.push({ url: 'full-reload', at: performance.timeOrigin + performance.now() });
  });
}
window.__bench = { ok: true };
console.debug(${JSON.stringify(RESULT_PREFIX)} + JSON.stringify(window.__bench));
`;
}

/**
 * Creates `<parent>/<name>/` with the graph and index.html → boot.mjs.
 * @param {import('./graphs.js').Graph} graph
 * @param {string} parent
 * @param {string} name
 * @param {PageKind} kind
 * @returns {Promise<{ root: string, entryUrl: string }>}
 */
export async function createSite(graph, parent, name, kind) {
  const root = path.join(parent, name);
  await mkdir(root, { recursive: true });
  await copyGraph(graph, root);
  const entryUrl = `/${graph.mount}/${graph.entry}`;
  await writeFile(path.join(root, 'boot.mjs'), bootScript(kind, entryUrl, graph.mount));
  await writeFile(
    path.join(root, 'index.html'),
    '<!doctype html>\n<meta charset="utf-8">\n<title>modrelay bench</title>\n<script type="module" src="/boot.mjs"></script>\n',
  );
  return { root, entryUrl };
}
