import { describe, expect, test } from 'vitest';
import { browserSuite } from '../support/harness.js';
import { appResult } from '../support/page-log.js';
import { waitCached } from '../support/wait.js';

const FILES = {
  'app.mjs': `import { value } from './lib/value.mjs';\nimport { other } from '../other.mjs';\nwindow.__result = { value, other };\n`,
  'lib/value.mjs': `export const value = 'v1';\n`,
  'other.mjs': `export const other = 'other';\n`,
};

const h = browserSuite();

describe('offline', () => {
  test('after one visit the page reloads with both servers gone and the browser offline', async () => {
    const site = await h.site(FILES);
    const server = await h.serve(site.root);
    const { context, page, log } = await h.page();

    await page.goto(server.url);
    expect(await appResult(page)).toEqual({ value: 'v1', other: 'other' });
    // The page, its boot script and modrelay's client were loaded before the worker
    // existed; the client's `warm` message has them cached. Wait for that, bounded.
    await waitCached(page, ['/', '/boot.mjs', '/@modrelay/client.mjs', '/app.mjs', '/lib/value.mjs', '/other.mjs']);

    await server.close();
    await context.setOffline(true);
    log.reset();
    await page.reload();
    expect(await appResult(page)).toEqual({ value: 'v1', other: 'other' });

    const served = await log.byPath();
    for (const path of ['/', '/boot.mjs', '/@modrelay/client.mjs', '/app.mjs', '/lib/value.mjs', '/other.mjs']) {
      expect({ path, ...served.get(path) }).toMatchObject({ path, status: 200, fromSW: true, source: 'cache' });
    }
    expect(await page.evaluate(() => (window as unknown as { __modrelay: { status: string } }).__modrelay.status)).toBe('controlled');
  });
});
