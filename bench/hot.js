// @ts-check
/**
 * Hot update latency, two ways, from the bench writing a module file:
 * - to the new code running in the page, as the user feels it: each edit appends a line that
 *   stamps the edit when the module runs. modrelay's page imports the changed URL with `?t=…`
 *   on `modrelay:update` (bench/site.js, `?hot`); Vite's HMR re-imports the accepting module and
 *   the chain down to the edited one.
 * - to the page hearing of it: `modrelay:update` (sent once the worker's copy is replaced, so a
 *   fetch right after it gets the new bytes), `vite:beforeUpdate` (as soon as the HMR message
 *   arrives, before Vite has transformed anything). Not like with like: kept, named for what it is.
 * Both ends stamp wall-clock time (performance.timeOrigin + now()), the same system clock.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { POLL_MS, measureLoad } from './page-load.js';
import { percentile } from './stats.js';

const UPDATE_TIMEOUT_MS = 5000;

/**
 * @typedef {object} HotTarget
 * @property {'modrelay' | 'modrelay-cs' | 'vite'} tool
 * @property {string} [url]        page to open
 * @property {string} [error]      why the target's server is not there
 * @property {string} leafFile     file edited
 * @property {string} match        the update's url must end with this ("" = any update)
 * @property {() => Promise<unknown>} [quiet]  waits until no other process holds the CPU (bench/quiet.js)
 */

/** The line each edit appends: it records when the new code ran. @param {number} edit */
const stampLine = (edit) => `\n;(globalThis.__ran ??= []).push({ edit: ${edit}, at: performance.timeOrigin + performance.now() });\n`;

/**
 * @param {import('playwright-core').Browser} browser
 * @param {HotTarget[]} targets
 * @param {{ edits: number, gapMs: number, timeoutMs: number }} options
 */
export async function measureHot(browser, targets, { edits, gapMs, timeoutMs }) {
  /** @type {Record<string, { samples: number[], runSamples: number[], errors: string[], error?: string }>} */
  const out = {};
  /** @type {{ target: HotTarget, page: import('playwright-core').Page, original: string }[]} */
  const open = [];
  /** @type {import('playwright-core').BrowserContext[]} */
  const contexts = [];
  try {
    for (const target of targets) {
      out[target.tool] = { samples: [], runSamples: [], errors: [] };
      if (target.error || !target.url) {
        out[target.tool] = { samples: [], runSamples: [], errors: [], error: target.error ?? 'no server' };
        continue;
      }
      try {
        const context = await browser.newContext();
        contexts.push(context);
        const page = await context.newPage();
        const first = await measureLoad(page, { url: target.url, timeoutMs });
        if (!first.ok) throw new Error(first.error ?? 'page failed');
        open.push({ target, page, original: await readFile(target.leafFile, 'utf8') });
      } catch (error) {
        /** @type {any} */ (out[target.tool]).error = String(error);
      }
    }
    for (let i = 0; i < edits; i++) {
      // Alternate who goes first, so neither always edits right after the other's reaction.
      const order = i % 2 ? [...open].reverse() : open;
      for (const { target, page, original } of order) {
        const result = /** @type {{ samples: number[], runSamples: number[], errors: string[] }} */ (out[target.tool]);
        try {
          await target.quiet?.();
          const before = await page.evaluate(() => /** @type {any} */ (window).__updates.length);
          const written = performance.timeOrigin + performance.now();
          await writeFile(target.leafFile, `${original}${stampLine(i)}`);
          const handle = await page.waitForFunction(
            ({ before, match }) => /** @type {any[]} */ (/** @type {any} */ (window).__updates)
              .slice(before).find((u) => String(u.url).endsWith(match)),
            { before, match: target.match },
            { timeout: UPDATE_TIMEOUT_MS, polling: POLL_MS },
          );
          const update = /** @type {{ url: string, at: number }} */ (await handle.jsonValue());
          if (update.url === 'full-reload') {
            result.errors.push('full reload instead of an update');
            await page.waitForFunction(() => /** @type {any} */ (window).__bench, undefined, { timeout: timeoutMs, polling: POLL_MS });
          } else {
            result.samples.push(update.at - written);
            const ran = await page.waitForFunction(
              (edit) => /** @type {any[]} */ (/** @type {any} */ (window).__ran ?? []).find((r) => r.edit === edit),
              i,
              { timeout: UPDATE_TIMEOUT_MS, polling: POLL_MS },
            );
            result.runSamples.push(/** @type {{ at: number }} */ (await ran.jsonValue()).at - written);
          }
        } catch (error) {
          result.errors.push(String(error).split('\n')[0] ?? 'error');
        }
        await new Promise((r) => setTimeout(r, gapMs));
      }
    }
  } finally {
    await Promise.allSettled(contexts.map((c) => c.close()));
  }
  /** @type {Record<string, any>} */
  const summary = {};
  for (const [tool, r] of Object.entries(out)) {
    summary[tool] = {
      ...r,
      p50Ms: percentile(r.samples, 50), p95Ms: percentile(r.samples, 95),
      runP50Ms: percentile(r.runSamples, 50), runP95Ms: percentile(r.runSamples, 95),
      errorCount: r.errors.length,
    };
  }
  return summary;
}
