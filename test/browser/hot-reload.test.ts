import { describe, expect, test } from 'vitest';
import { browserSuite } from '../support/harness.js';
import { appResult } from '../support/page-log.js';
import { poll, waitCached, waitUpdates } from '../support/wait.js';
import { sha256 } from '../support/sha256.js';

/** left.mjs imports a NAMED export of right.mjs; both are renamed in one save. */
const v = (n: number) => ({
  'pair/left.mjs': `import { v${n} } from './right.mjs';\nexport const left = 'left-' + v${n};\n`,
  'pair/right.mjs': `export const v${n} = 'v${n}';\n`,
});

const FILES = {
  'app.mjs': `import { left } from './pair/left.mjs';\nimport { label } from './lib/label.mjs';\nwindow.__result = { left, label };\n`,
  'lib/label.mjs': `export const label = 'old';\n`,
  ...v(1),
};

const h = browserSuite();

describe('hot reload', () => {
  test('an edit raises modrelay:update with the new hash, and the next reload runs the new code', async () => {
    const site = await h.site(FILES);
    const server = await h.serve(site.root);
    const { page, log } = await h.page();
    await page.goto(server.url);
    expect(await appResult(page)).toEqual({ left: 'left-v1', label: 'old' });
    await waitCached(page, ['/app.mjs', '/lib/label.mjs']);

    const edited = `export const label = 'new';\n`;
    await site.write('lib/label.mjs', edited);
    const updates = await waitUpdates(page, ['/lib/label.mjs']);
    expect(updates).toContainEqual({ url: `${server.url}lib/label.mjs`, hash: sha256(edited) });

    log.reset();
    await page.reload();
    expect(await appResult(page)).toEqual({ left: 'left-v1', label: 'new' });
    const served = await log.byPath();
    expect(served.get('/lib/label.mjs')).toMatchObject({ fromSW: true, source: 'relay' });
    expect(served.get('/app.mjs')).toMatchObject({ fromSW: true, source: 'cache' });
  });

  test('an edited module the page uses is fetched over the relay before the reload asks for it', async () => {
    const site = await h.site(FILES);
    const server = await h.serve(site.root);
    const { page, log } = await h.page();
    await page.goto(server.url);
    expect(await appResult(page)).toEqual({ left: 'left-v1', label: 'old' });
    await waitCached(page, ['/lib/label.mjs']);

    await site.write('lib/label.mjs', `export const label = 'ahead';\n`);
    await waitUpdates(page, ['/lib/label.mjs']);
    // No load asks for it, yet the new version lands in the cache (bounded wait).
    await poll(() => page.evaluate(async () => {
      const cached = await (await caches.open('modrelay-v1')).match(new URL('/lib/label.mjs', location.origin).href);
      return (await cached?.text())?.includes('ahead') ?? false;
    }));

    log.reset();
    await page.reload();
    expect(await appResult(page)).toEqual({ left: 'left-v1', label: 'ahead' });
    const served = await log.byPath();
    // It travelled over the relay for this reload: labelled `relay`, not `cache`, and never HTTP.
    expect(served.get('/lib/label.mjs')).toMatchObject({ fromSW: true, source: 'relay' });
  });

  test('two modules that must agree are never seen half-applied', async () => {
    const site = await h.site(FILES);
    const server = await h.serve(site.root);
    const { page } = await h.page();
    await page.goto(server.url);
    expect(await appResult(page)).toEqual({ left: 'left-v1', label: 'old' });
    await waitCached(page, ['/pair/left.mjs', '/pair/right.mjs']);

    // One save of both files, then reload at once and again until the new pair shows:
    // every load sees both old or both new. A mix fails to link ("does not provide an export").
    for (const [path, text] of Object.entries(v(2))) await site.write(path, text);
    const seen: unknown[] = [];
    for (let i = 0; i < 40 && !seen.some((r) => (r as { left: string }).left === 'left-v2'); i++) {
      await page.reload();
      seen.push(await appResult(page));
    }
    for (const result of seen) {
      expect([{ left: 'left-v1', label: 'old' }, { left: 'left-v2', label: 'old' }]).toContainEqual(result);
    }
    expect(seen.at(-1)).toEqual({ left: 'left-v2', label: 'old' });
  });
});
