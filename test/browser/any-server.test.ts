import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, describe, expect, test } from 'vitest';
import { freePort, startCaddy } from '../../bench/caddy.js';
import { STORE_HEADER } from '../../protocol/http-cache.js';
import { startRelayProcess } from '../faults/relay-process.js';
import { docBlock, documentedBoot } from '../support/doc-blocks.js';
import { browserSuite } from '../support/harness.js';
import { FROM_HTTP_CACHE, moduleTimings, waitRouted } from '../support/http-cache.js';
import { idbEntries } from '../support/idb.js';
import { appResult } from '../support/page-log.js';
import { removeRoot } from '../support/temp.js';
import { poll, waitReported } from '../support/wait.js';

/**
 * The default store behind HTTP servers that are not ours, in the relay-only setup
 * (`modrelay init`, the docs' boot): a server that ignores the store header is detected and
 * the page stays with the worker, with no spurious `modrelay:update`; Caddy with the docs'
 * lines and Express with `modrelay/middleware`, both as written in docs/integration.md, get
 * the routed version and warm loads from the HTTP cache.
 */
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(REPO, 'bin', 'modrelay.js');
const MODULES = ['/app.mjs', '/lib/value.mjs', '/lib/stable.mjs'];
const FILES: Record<string, string> = {
  'index.html': '<!doctype html><meta charset="utf-8"><script type="module" src="./boot.mjs"></script>',
  'app.mjs': "import { value } from './lib/value.mjs';\nimport { stable } from './lib/stable.mjs';\nwindow.__result = { value, stable };\n",
  'lib/value.mjs': "export const value = 'v1';\n",
  'lib/stable.mjs': "export const stable = 'stable';\n",
};

const h = browserSuite();
const processes: ChildProcess[] = [];
afterEach(() => { for (const child of processes.splice(0)) child.kill('SIGKILL'); });

/** A site under the repository (so the docs' `import … from 'modrelay/middleware'` resolves to this package), made ready with `modrelay init`. */
async function site(name: string): Promise<{ dir: string; publicDir: string }> {
  const dir = join(REPO, '.docs-run-servers', name);
  const publicDir = join(dir, 'public');
  for (const [path, text] of Object.entries(FILES)) {
    await mkdir(join(publicDir, path, '..'), { recursive: true });
    await writeFile(join(publicDir, path), text);
  }
  h.defer(() => removeRoot(dir));
  expect(spawnSync(process.execPath, [BIN, 'init', publicDir], { encoding: 'utf8' }).status).toBe(0);
  return { dir, publicDir };
}

/** Starts the relay for `publicDir` and writes the docs' boot script pointed at it. */
async function relayFor(publicDir: string, origin: string): Promise<void> {
  const relay = await startRelayProcess(publicDir, ['--allow-origin', origin]);
  h.defer(() => relay.kill());
  await writeFile(join(publicDir, 'boot.mjs'), documentedBoot(relay.url));
}

/**
 * A page that records every `modrelay:update`; with `copies`, also the copy requests (with
 * the store header) the worker sends — through Playwright's routing, which turns the HTTP
 * cache off, so only where no copy can be used anyway.
 */
async function recordingPage(copies = false): Promise<{ context: BrowserContext; page: Page; copyRequests: string[] }> {
  const { context, page } = await h.page();
  const copyRequests: string[] = [];
  if (copies) {
    await context.route('**/*.mjs', (route) => {
      if (route.request().headers()[STORE_HEADER]) copyRequests.push(new URL(route.request().url()).pathname);
      return route.continue();
    });
  }
  await context.addInitScript(() => {
    const updates: string[] = [];
    (window as unknown as { __updates: string[] }).__updates = updates;
    addEventListener("modrelay:update", (event) => updates.push((event as CustomEvent<{ url: string }>).detail.url));
  });
  return { context, page, copyRequests };
}

const updates = (page: Page) => page.evaluate(() => (window as unknown as { __updates: string[] }).__updates);
const routed = (page: Page) => page.evaluate(() => navigator.serviceWorker.controller?.scriptURL.includes('routed=1') ?? false);

/** After the first visit and one reload: the routed version answers a warm reload from the HTTP cache, with no fetch event. */
async function expectRoutedWarmLoads(origin: string): Promise<void> {
  const { page } = await recordingPage();
  await page.goto(`${origin}/`);
  expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
  await waitRouted(page);
  await page.reload();
  expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
  await page.reload();
  expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
  const timings = await moduleTimings(page);
  for (const path of MODULES) expect({ origin, path, ...timings[path] }).toEqual({ origin, path, ...FROM_HTTP_CACHE });
  expect(await updates(page)).toEqual([]);
}

describe('the default store behind servers that are not ours', () => {
  test('a server that ignores the store header (caddy file-server): detected, the page stays with the worker, no spurious update', async () => {
    const { dir, publicDir } = await site('ignores');
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    await relayFor(publicDir, origin);
    const caddy = await startCaddy(dir, [{ port, root: publicDir }]);
    h.defer(() => caddy.close());

    const { page, copyRequests } = await recordingPage(true);
    await page.goto(`${origin}/`);
    expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
    // The worker tried a copy (so it did ask this server), and recorded nothing.
    await poll(async () => copyRequests.length > 0);
    await waitReported(page); // the worker's answer to the report: unsupported
    expect(await idbEntries(page, 'modrelay-http-cache', 'copies')).toEqual([]);
    for (let i = 0; i < 3; i++) {
      await page.reload();
      expect(await appResult(page)).toMatchObject({ value: 'v1', stable: 'stable' });
      await waitReported(page); // past the report, when a copy would be announced
    }
    expect(await page.evaluate(() => (window as unknown as { __stores: { state: string }[] }).__stores.at(-1)!.state)).toBe('unsupported');
    expect(await routed(page)).toBe(false);
    expect(await updates(page)).toEqual([]);
    // Detected once per worker start: one copy request each, not one per module.
    expect(copyRequests.length).toBeLessThanOrEqual(4);
  });

  test("Caddy with the docs' lines: copies are immutable, the routed version answers warm loads from the HTTP cache", async () => {
    const { dir, publicDir } = await site('caddy');
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    await relayFor(publicDir, origin);
    const directives = docBlock("# modrelay's HTTP-cache store").code;
    const caddy = await startCaddy(dir, [{ port, root: publicDir, directives }]);
    h.defer(() => caddy.close());
    await expectRoutedWarmLoads(origin);
  });

  test('Express with modrelay/middleware, the docs\' server.mjs as written: the routed version answers warm loads from the HTTP cache', async () => {
    const { dir, publicDir } = await site('express');
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    await relayFor(publicDir, origin);
    const server = docBlock('// server.mjs').code.replace('app.listen(8080)', `app.listen(${port}, '127.0.0.1')`);
    await writeFile(join(dir, 'server.mjs'), server);
    const child = spawn(process.execPath, ['server.mjs'], { cwd: dir, stdio: 'ignore' });
    processes.push(child);
    await poll(() => fetch(`${origin}/app.mjs`).then((response) => response.ok, () => false));
    await expectRoutedWarmLoads(origin);
  });
});
