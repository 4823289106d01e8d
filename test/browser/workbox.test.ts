import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { describe, expect, test } from 'vitest';
import { browserSuite } from '../support/harness.js';
import { appResult } from '../support/page-log.js';
import { removeRoot, tempRoot } from '../support/temp.js';
import { waitCached, waitUpdates } from '../support/wait.js';

/**
 * An app that already has its own service worker mounts modrelay as a Workbox strategy,
 * exactly as docs/integration.md says: the packaged `dist/strategy.mjs` (export
 * `modrelay/strategy`, built by `npm run build`) and the `registerRoute` it re-exports,
 * bundled in Vite's library mode with no `define` (Workbox would need one for its own
 * `process.env.NODE_ENV`; the strategy carries a Workbox built for production).
 */
const PROJECT = fileURLToPath(new URL('../..', import.meta.url));
const STRATEGY = fileURLToPath(new URL('../../dist/strategy.mjs', import.meta.url));

const APP_WORKER = `
import { registerRoute, ModuleRelayStrategy, moduleRelayMatch } from ${JSON.stringify(STRATEGY)};
const relayUrl = new URL(self.location.href).searchParams.get('relay');
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
// The app's own route: something only this worker can answer.
registerRoute(({ url }) => url.pathname === '/from-app-worker.txt', () => Promise.resolve(new Response('app worker')));
registerRoute(moduleRelayMatch(), new ModuleRelayStrategy({ relayUrl }));
`;

const FILES = {
  'boot.mjs': `const { registerModuleRelay } = await import('/@modrelay/client.mjs');
const relay = await registerModuleRelay({ swUrl: '/app-sw.js', heartbeatMs: 0 });
window.__modrelay = { status: relay.status, updates: [] };
relay.onUpdate((update) => window.__modrelay.updates.push(update));
await import('./app.mjs');
`,
  'app.mjs': `import { value } from './lib/value.mjs';
const own = await (await fetch('/from-app-worker.txt')).text();
window.__result = { value, own };
`,
  'lib/value.mjs': `export const value = 'v1';\n`,
};

const h = browserSuite();

async function buildAppWorker(outDir: string): Promise<void> {
  // Inside the project, so the app worker's bare imports resolve from our node_modules
  // the way they would from the app's own.
  const src = await tempRoot({ 'app-sw.js': APP_WORKER }, { prefix: '.modrelay-appsw-', under: join(PROJECT, 'node_modules') });
  try {
    await build({
      configFile: false, logLevel: 'silent',
      build: {
        outDir, emptyOutDir: false, minify: false,
        lib: { entry: join(src, 'app-sw.js'), formats: ['iife'], name: 'appSw', fileName: () => 'app-sw.js' },
      },
    });
  } finally {
    await removeRoot(src);
  }
}

describe('inside an existing service worker (Workbox strategy)', () => {
  test('modules are answered by ModuleRelayStrategy next to the app\'s own routes', async () => {
    const site = await h.site(FILES);
    await buildAppWorker(site.root);
    const server = await h.serve(site.root);
    const { page, log } = await h.page();

    await page.goto(server.url);
    expect(await appResult(page)).toEqual({ value: 'v1', own: 'app worker' });
    let served = await log.byPath();
    expect(served.get('/lib/value.mjs')).toMatchObject({ fromSW: true, source: 'relay' });
    await waitCached(page, ['/app.mjs', '/lib/value.mjs']);

    await site.write('lib/value.mjs', `export const value = 'v2';\n`);
    // The strategy forwards the relay's update to the page like our own sw.js does.
    await waitUpdates(page, ['/lib/value.mjs']);
    log.reset();
    await page.reload();
    expect(await appResult(page)).toEqual({ value: 'v2', own: 'app worker' });
    served = await log.byPath();
    expect(served.get('/app.mjs')).toMatchObject({ fromSW: true, source: 'cache' });
    expect(served.get('/lib/value.mjs')).toMatchObject({ fromSW: true, source: 'relay' });
  });
});
