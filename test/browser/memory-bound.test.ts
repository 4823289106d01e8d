import { describe, expect, test } from 'vitest';
import { browserSuite } from '../support/harness.js';
import { appResult } from '../support/page-log.js';
import { STANDARD_FILES } from '../support/site.js';
import { waitCached } from '../support/wait.js';

/**
 * The worker keeps module bodies in memory only up to a byte budget; bodies it drops are
 * still served, from Cache Storage.
 */
const COUNT = 8;
const SIZE = 40_000;
const BUDGET = 100_000; // room for two of the eight bodies

const FILES: Record<string, string> = {
  // The standard boot, with a memory budget far below the graph's size.
  'boot.mjs': STANDARD_FILES['boot.mjs']!.replace('heartbeatMs: 0,', `heartbeatMs: 0, memoryBytes: ${BUDGET},`),
  'app.mjs': `${Array.from({ length: COUNT }, (_, i) => `import m${i} from './m${i}.mjs';`).join('\n')}
const all = [${Array.from({ length: COUNT }, (_, i) => `m${i}`).join(', ')}];
window.__result = { ids: all.map((m) => m.id), lengths: all.map((m) => m.pad.length) };
`,
};
for (let i = 0; i < COUNT; i++) FILES[`m${i}.mjs`] = `export default { id: ${i}, pad: '${String(i).repeat(SIZE)}' };\n`;
const MODULES = Array.from({ length: COUNT }, (_, i) => `/m${i}.mjs`);
const RIGHT = { ids: [...Array(COUNT).keys()], lengths: Array(COUNT).fill(SIZE) };

const h = browserSuite();

describe('memory budget in the worker', () => {
  test('a graph larger than the budget is served right from the cache on every reload', async () => {
    const site = await h.site(FILES);
    const server = await h.serve(site.root);
    const { page, log } = await h.page();

    await page.goto(server.url);
    await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, null, { timeout: 15_000 });
    await appResult(page);
    await waitCached(page, MODULES);

    for (let reload = 0; reload < 2; reload++) {
      log.reset();
      await page.reload();
      expect(await appResult(page)).toEqual(RIGHT);
      const served = await log.byPath();
      for (const path of MODULES) expect(served.get(path), path).toMatchObject({ fromSW: true, source: 'cache' });
    }
  });
});
