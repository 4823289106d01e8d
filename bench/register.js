// @ts-check
/**
 * The fixed cost of a warm load under the default store, on a small app: the boot script's
 * `import()` of modrelay's client, the `registerModuleRelay()` call, and navigation → app imported, over many
 * reloads of one tab, first on a quiet machine, then with two CPU hogs (one per core here)
 * competing, which is when `register()` used to stall. Percentiles, not a pass/fail.
 */
import { spawn } from 'node:child_process';
import { percentile, round } from './stats.js';
import { measureLoad, waitCopied, waitRouted } from './page-load.js';

/**
 * @param {import('playwright-core').Browser} browser
 * @param {{ url: string, modules: number, reloads: number, timeoutMs: number }} options
 */
export async function measureRegister(browser, { url, modules, reloads, timeoutMs }) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await measureLoad(page, { url, timeoutMs });
    await waitCopied(page, modules, 3 * timeoutMs);
    await waitRouted(page, 3 * timeoutMs);
    await measureLoad(page, { timeoutMs });
    /** @type {Record<string, any>} */
    const out = {};
    for (const hogs of [0, 2]) {
      // Busy loops in their own processes; bounded by the kill below and by their own timeout.
      const children = Array.from({ length: hogs }, () => spawn(process.execPath, ['-e', 'const end = Date.now() + 600000; while (Date.now() < end);'], { stdio: 'ignore' }));
      try {
        /** @type {number[]} */ const register = [];
        /** @type {number[]} */ const clientImport = [];
        /** @type {number[]} */ const total = [];
        let failed = 0;
        for (let i = 0; i < reloads; i++) {
          const result = await measureLoad(page, { timeoutMs }).catch(() => null);
          if (!result?.ok || typeof result.registerMs !== 'number') { failed++; continue; }
          register.push(result.registerMs);
          clientImport.push(/** @type {number} */ (result.clientImportMs));
          total.push(/** @type {number} */ (result.totalMs));
        }
        const stats = (/** @type {number[]} */ xs) => ({ p50: round(percentile(xs, 50)), p95: round(percentile(xs, 95)), p99: round(percentile(xs, 99)), max: round(Math.max(...xs)) });
        out[`hogs${hogs}`] = { n: register.length, failed, registerMs: stats(register), clientImportMs: stats(clientImport), totalMs: stats(total) };
      } finally {
        for (const child of children) child.kill('SIGKILL');
      }
    }
    return out;
  } finally {
    await context.close().catch(() => {});
  }
}
