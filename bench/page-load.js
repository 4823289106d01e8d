// @ts-check
/**
 * One measured page load: navigate (or reload), wait for the boot script's result in
 * `window.__bench`, and tally where the graph's modules came from as the browser saw
 * the responses (modrelay's SW labels its answers with `x-modrelay-source`).
 */

/**
 * @typedef {object} PageResult
 * @property {boolean} ok
 * @property {number} [importMs]   import() start → resolved
 * @property {number} [totalMs]    navigation start → resolved
 * @property {number} [registerMs] modrelay: registerModuleRelay() duration
 * @property {boolean} [controlled]
 * @property {string} [registerError]
 * @property {string} [error]
 * @property {number} [modules]    module fetches seen by Resource Timing
 * @property {number} [viaServiceWorker]
 * @property {number} [transferBytes]
 */

/** How often the bench looks for a page's result; the page stamps its own times. */
export const POLL_MS = 50;

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
  if (url) await page.goto(url, { waitUntil: 'commit', timeout: timeoutMs });
  else await page.reload({ waitUntil: 'commit', timeout: timeoutMs });
  // Poll on a timer, not Playwright's default requestAnimationFrame: rAF polling makes the
  // renderer produce frames during the load it measures (seen in a trace: ~60 ms on three).
  const handle = await page.waitForFunction(() => /** @type {any} */ (window).__bench, undefined, { timeout: timeoutMs, polling: POLL_MS });
  return /** @type {PageResult} */ (await handle.jsonValue());
}
