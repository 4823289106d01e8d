import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { freePort, startCaddy } from '../../bench/caddy.js';
import { CLIENT_PATH, WORKER_HOOKS_PATH } from '../../protocol/defaults.js';
import { serve } from '../../server/index.js';
import { startRelayProcess } from '../faults/relay-process.js';
import { appShape, GLYPHS, ISOLATION_HEADERS, PAGE_PATHS, RIGHT } from '../support/app-shape.js';
import { browserSuite } from '../support/harness.js';
import { FROM_HTTP_CACHE, moduleTimings, waitRouted } from '../support/http-cache.js';
import { appResult, logResponses } from '../support/page-log.js';
import { removeRoot, tempRoot } from '../support/temp.js';
import { poll } from '../support/wait.js';

/**
 * Issue 22: the app modrelay was made for (test/support/app-shape.ts), under `serve`, relay-only
 * behind `caddy file-server`, and behind a Caddy reverse proxy. Each time: the first visit
 * renders through the worker (the page's modules, the module Worker's, its `#fragment` piece,
 * a hundred glyphs at `%2F` paths) with `crossOriginIsolated` in the page and the Worker; the
 * static import of the boot script is named in a console warning; the default store becomes
 * `ready` within seconds and the warm reload takes the page's modules from the HTTP cache; the
 * app's own service worker keeps its own route; offline, the app renders, still isolated.
 */
const BIN = fileURLToPath(new URL('../../bin/modrelay.js', import.meta.url));
const CADDY_HEADERS = Object.entries(ISOLATION_HEADERS).map(([name, value]) => `header ${name} ${value}`).join('\n');

const h = browserSuite();

/** The lines this page wrote to its console, by type. */
function consoleOf(page: Page): { warnings: string[] } {
  const lines = { warnings: [] as string[] };
  page.on('console', (message) => { if (message.type() === 'warning') lines.warnings.push(message.text()); });
  return lines;
}

/** Everything the run saw, for the closing note (printed) and the assertions. */
async function run(name: string, origin: string, context: BrowserContext, page: Page, log: ReturnType<typeof logResponses>, stop: () => Promise<unknown>) {
  const console_ = consoleOf(page);
  const started = Date.now();
  await page.goto(`${origin}/`);
  expect(await appResult(page, 30_000), `${name}: first visit`).toEqual(RIGHT);
  const first = await log.byPath();
  const bySW = (path: string) => first.get(path)?.source;
  // The page's modules, the Worker's, its fragment piece and its glyphs came through the worker.
  expect({ name, part: bySW('/lib/part0.mjs'), tool: bySW('/lib/tools/tool0.mjs'), piece: bySW('/disks/prompt.mjs'), glyph: bySW('/glyphs/lowercase%2F7.json') })
    .toEqual({ name, part: 'relay', tool: 'relay', piece: 'relay', glyph: 'relay' });
  expect(console_.warnings.some((line) => line.includes('/bios.mjs') && line.includes('static'))).toBe(true);

  // The default store reaches `ready` (the worker copies what it answered, fragments or not).
  await poll(() => page.evaluate(() => (window as unknown as { __modrelay: { stores: { state: string }[] } }).__modrelay.stores.some((s) => s.state === 'ready')), 20_000);
  const readyMs = Date.now() - started;
  await waitRouted(page);
  log.reset();
  await page.reload();
  expect(await appResult(page), `${name}: warm reload`).toEqual(RIGHT);
  const timings = await moduleTimings(page);
  const fromHttpCache = PAGE_PATHS.filter((path) => JSON.stringify(timings[path]) === JSON.stringify(FROM_HTTP_CACHE));
  const warm = await log.byPath();
  const workerSources = new Set([...warm].filter(([path]) => path.startsWith('/lib/tools/') || path.startsWith('/glyphs/')).map(([, served]) => served.source));
  expect(fromHttpCache).toEqual(PAGE_PATHS);
  // Static routes do not reach a Worker's own requests: the worker answers them, from its cache.
  expect([...workerSources]).toEqual(['cache']);

  await stop();
  await context.setOffline(true);
  await page.reload();
  expect(await appResult(page), `${name}: offline`).toEqual(RIGHT);
  console.log(`[app shape] ${name}: first visit rendered through the worker (page, Worker, #fragment piece, ${GLYPHS} glyphs: relay), crossOriginIsolated in page and Worker; `
    + `store ready ${readyMs} ms after navigation; warm reload: ${fromHttpCache.length}/${PAGE_PATHS.length} page modules from the HTTP cache, the Worker's from ${[...workerSources].join(', ')}; offline: rendered, crossOriginIsolated`);
}

describe('the app it was made for', () => {
  test('under serve (--header COOP/COEP): its own sw.js is served, not replaced, and mounts modrelay', async () => {
    const site = await h.site(appShape({ clientUrl: CLIENT_PATH, hooksUrl: WORKER_HOOKS_PATH }));
    const said: string[] = [];
    const server = await serve({ root: site.root, port: 0, relayPort: 0, headers: ISOLATION_HEADERS, log: { info() {}, warn: (line) => said.push(line), debug() {} } });
    h.defer(() => server.close());
    expect(said.some((line) => line.includes('its own service worker'))).toBe(true);
    expect(await (await fetch(new URL('/sw.js', server.url))).text()).toContain('modrelay.createModuleRelay()');
    const { context, page, log } = await h.page();
    await run('serve', new URL(server.url).origin, context, page, log, () => server.close());
  }, 120_000);

  test('relay-only behind caddy file-server (COOP/COEP from Caddy): init, the hooks in its own worker, headers learned from the page', async () => {
    const site = await h.site({});
    const publicDir = site.root;
    const init = spawnSync(process.execPath, [BIN, 'init', publicDir], { encoding: 'utf8' });
    expect(init.status, init.stderr).toBe(0);
    const filePort = await freePort();
    const origin = `http://127.0.0.1:${filePort}`;
    const relay = await startRelayProcess(publicDir, ['--allow-origin', origin]);
    h.defer(() => relay.kill());
    for (const [path, text] of Object.entries(appShape({ clientUrl: './modrelay-client.mjs', hooksUrl: '/modrelay-worker.js', relayUrl: relay.url }))) await site.write(path, text);
    const storeLines = (await readFile(fileURLToPath(new URL('../../docs/integration.md', import.meta.url)), 'utf8'))
      .match(/```caddyfile\n(# modrelay's HTTP-cache store[\s\S]*?)```/)![1]!;
    const caddyDir = await tempRoot({});
    h.defer(() => removeRoot(caddyDir));
    const caddy = await startCaddy(caddyDir, [{ port: filePort, root: publicDir, directives: `${CADDY_HEADERS}\n${storeLines}` }]);
    h.defer(() => caddy.close());
    const { context, page, log } = await h.page();
    await run('relay-only behind caddy file-server', origin, context, page, log, () => Promise.all([caddy.close(), relay.kill()]));
  }, 120_000);

  test('behind a Caddy reverse proxy in front of serve', async () => {
    const site = await h.site(appShape({ clientUrl: CLIENT_PATH, hooksUrl: WORKER_HOOKS_PATH }));
    const proxyPort = await freePort();
    const origin = `http://127.0.0.1:${proxyPort}`;
    const server = await serve({ root: site.root, port: 0, relayPort: 0, headers: ISOLATION_HEADERS, allowOrigins: [origin] });
    h.defer(() => server.close());
    const caddyDir = await tempRoot({});
    h.defer(() => removeRoot(caddyDir));
    const caddy = await startCaddy(caddyDir, [{ port: proxyPort, upstream: server.url }]);
    h.defer(() => caddy.close());
    const { context, page, log } = await h.page();
    await run('behind a Caddy reverse proxy', origin, context, page, log, () => Promise.all([caddy.close(), server.close()]));
  }, 120_000);
});
