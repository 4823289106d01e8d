// @ts-check
/**
 * One measured page load: navigate (or reload), wait for the boot script's result (logged to
 * the console, also kept in `window.__bench`), and tally where the graph's modules came from
 * as the browser saw the responses (modrelay's SW labels its answers with `x-modrelay-source`).
 */

/**
 * @typedef {object} PageResult
 * @property {boolean} ok
 * @property {number} [importMs]   import() start → resolved
 * @property {number} [totalMs]    navigation start → resolved
 * @property {number} [registerMs] modrelay: the registerModuleRelay() call
 * @property {number} [clientImportMs] modrelay: the boot script's import() of the client
 * @property {boolean} [controlled]
 * @property {string} [registerError]
 * @property {string} [error]
 * @property {number} [modules]    module fetches seen by Resource Timing
 * @property {number} [viaServiceWorker]
 * @property {number} [transferBytes]
 */

/** How often the bench looks for a page's state (hot updates); the page stamps its own times. */
export const POLL_MS = 50;

/**
 * The boot script logs its result as this prefix + JSON. The bench waits for that console
 * message instead of polling the page: the first `evaluate` in a new document makes
 * Playwright evaluate its ~330 KB injected script there, a 20 ms task on the page's main
 * thread (seen in a trace) that landed inside the load it measured, often inside
 * `registerModuleRelay()`. A console message reaches the bench with no script in the page.
 */
export const RESULT_PREFIX = 'modrelay-bench:';
/** A modrelay page logs this prefix + ms from its `load` event to its files being on disk (bench/site.js). */
export const DURABLE_PREFIX = 'modrelay-bench-durable:';

/**
 * Waits (bounded) for the page's word that its files are on disk; ms after `load`, or null.
 * Started before the load it measures.
 * @param {import('playwright-core').Page} page
 * @param {number} timeoutMs
 */
export function durableAfterLoad(page, timeoutMs) {
  return page.waitForEvent('console', { predicate: (message) => message.text().startsWith(DURABLE_PREFIX), timeout: timeoutMs })
    .then((message) => {
      const [afterLoad, afterImport] = message.text().slice(DURABLE_PREFIX.length).split(' ').map(Number);
      return { afterLoad, afterImport };
    }, () => null);
}

/**
 * @param {import('playwright-core').Page} page
 * @param {string} mount  the graph's URL folder, e.g. "src"
 */
export function watchSources(page, mount) {
  /** @type {import('playwright-core').Response[]} */
  let responses = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.startsWith(`/${mount}/`)) responses.push(r);
  });
  return {
    /** @returns {Record<string, number>} responses by source since the last call */
    take() {
      /** @type {Record<string, number>} */
      const tally = {};
      for (const r of responses) {
        const source = r.headers()['x-modrelay-source'] ?? (r.fromServiceWorker() ? 'service-worker' : 'http');
        tally[source] = (tally[source] ?? 0) + 1;
      }
      responses = [];
      return tally;
    },
  };
}

/**
 * @param {import('playwright-core').Page} page
 * @param {{ url?: string, timeoutMs: number }} how  a url to navigate to, or none to reload
 * @returns {Promise<PageResult>}
 */
export async function measureLoad(page, { url, timeoutMs }) {
  const logged = page.waitForEvent('console', { predicate: (message) => message.text().startsWith(RESULT_PREFIX), timeout: timeoutMs });
  try {
    if (url) await page.goto(url, { waitUntil: 'commit', timeout: timeoutMs });
    else await page.reload({ waitUntil: 'commit', timeout: timeoutMs });
  } catch (error) {
    logged.catch(() => {});
    throw error;
  }
  return /** @type {PageResult} */ (JSON.parse((await logged).text().slice(RESULT_PREFIX.length)));
}

/**
 * `store: 'http-cache'`: waits (bounded) until the worker recorded at least `count` copies
 * with a known hash in IndexedDB, i.e. the HTTP cache holds the graph as immutable copies.
 * @param {import('playwright-core').Page} page
 * @param {number} count
 * @param {number} [timeoutMs]
 */
export async function waitCopied(page, count, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    // Opening a database that does not exist yet would create it without the worker's store.
    const copied = await page.evaluate(async () => (await indexedDB.databases()).some((db) => db.name === 'modrelay-http-cache') && new Promise((resolve) => {
      const open = indexedDB.open('modrelay-http-cache');
      open.onerror = () => resolve(0);
      open.onsuccess = () => {
        const db = open.result;
        if (!db.objectStoreNames.contains('copies')) return resolve(0);
        const all = db.transaction('copies').objectStore('copies').getAll();
        all.onsuccess = () => { db.close(); resolve(all.result.filter((c) => typeof c.hash === 'string').length); };
        all.onerror = () => resolve(0);
      };
    }));
    if (/** @type {number} */ (copied) >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`fewer than ${count} HTTP-cache copies after ${timeoutMs} ms`);
}

/**
 * Waits (bounded) until the page is controlled by the routed version of the worker (the
 * default store's static routes, protocol/sw-url.ts), which serves warm loads.
 * @param {import('playwright-core').Page} page
 */
export async function waitRouted(page, timeoutMs = 20_000) {
  await page.waitForFunction(() => navigator.serviceWorker.controller?.scriptURL.includes('routed=1') ?? false, undefined, { timeout: timeoutMs, polling: 100 });
}
