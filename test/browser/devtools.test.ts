import { describe, expect, test } from 'vitest';
import { cacheEntries, indexedDbRows } from '../support/devtools.js';
import { browserSuite } from '../support/harness.js';
import { appResult } from '../support/page-log.js';
import { waitCached } from '../support/wait.js';
import { sha256 } from '../support/sha256.js';

/** What a developer sees in DevTools → Application, read through the same CDP domains. */
const VALUE = `export const value = 'inspect me';\n`;
const FILES = {
  'app.mjs': `import { value } from './lib/value.mjs';\nwindow.__result = { value };\n`,
  'lib/value.mjs': VALUE,
};

const h = browserSuite();

describe('DevTools inspection', () => {
  test('Service Workers, Cache Storage and IndexedDB show modrelay at work', async () => {
    const site = await h.site(FILES);
    const server = await h.serve(site.root);
    const { context, page } = await h.page();

    const cdp = await context.newCDPSession(page);
    const versions: { scriptURL: string; status: string; runningStatus: string }[] = [];
    cdp.on('ServiceWorker.workerVersionUpdated', ({ versions: list }) => versions.push(...list));
    await cdp.send('ServiceWorker.enable');

    await page.goto(server.url);
    expect(await appResult(page)).toEqual({ value: 'inspect me' });
    await waitCached(page, ['/app.mjs', '/lib/value.mjs']);

    // Service Workers: our script, with its options in the query, activated and running.
    const ours = versions.filter((v) => v.scriptURL.startsWith(`${server.url}sw.js?relay=`));
    expect(ours.some((v) => v.status === 'activated' && v.runningStatus === 'running')).toBe(true);
    expect(new URL(ours[0]!.scriptURL).searchParams.get('relay')).toBe(server.relay.url);

    // Cache Storage: one versioned cache holding modules at their real URLs with modrelay's headers.
    const { names, entries } = await cacheEntries(page, 'modrelay-v1');
    expect(names).toContain('modrelay-v1');
    const value = entries.find((e) => e.url === `${server.url}lib/value.mjs`);
    const hash = sha256(VALUE);
    expect(value?.headers).toMatchObject({
      'x-modrelay-source': 'cache',
      etag: `"${hash}"`,
      'content-type': expect.stringContaining('javascript'),
    });
    expect(entries.map((e) => e.url)).toContain(`${server.url}app.mjs`);

    // IndexedDB: database modrelay, store modules, url → metadata.
    const { databaseNames, rows } = await indexedDbRows(page, 'modrelay', 'modules');
    expect(databaseNames).toContain('modrelay');
    const row = rows.find((r) => r.key === `${server.url}lib/value.mjs`);
    const props = Object.fromEntries((row?.value.preview?.properties ?? []).map((p) => [p.name, p.value]));
    expect(props).toMatchObject({ path: '/lib/value.mjs', hash, size: String(VALUE.length), source: 'relay', kind: 'module' });
    await cdp.detach();
  });
});
