import { describe, expect, test } from 'vitest';
import { browserSuite } from '../support/harness.js';
import { appResult } from '../support/page-log.js';
import { poll } from '../support/wait.js';

/**
 * Issue 22: an app that has its own service worker keeps it. A page whose scope already has
 * another worker is left alone by `registerModuleRelay()`, with a console line that says how to
 * have both; a worker registered through the client that never answers modrelay (the app's
 * own, without modrelay inside) is named too.
 */
const h = browserSuite();

const PLAIN_WORKER = "self.addEventListener('install', () => self.skipWaiting());\nself.addEventListener('activate', (e) => e.waitUntil(clients.claim()));\nself.addEventListener('fetch', () => {});\n";

describe("an app's own service worker", () => {
  test('registered by the app at the scope: modrelay does not replace it, and says how to have both', async () => {
    const site = await h.site({
      'app-sw.js': PLAIN_WORKER,
      'index.html': `<!doctype html><meta charset="utf-8"><script type="module">
        await navigator.serviceWorker.register('/app-sw.js');
        await navigator.serviceWorker.ready;
        const { registerModuleRelay } = await import('/@modrelay/client.mjs');
        const relay = await registerModuleRelay({ heartbeatMs: 0 });
        const registration = await navigator.serviceWorker.getRegistration();
        window.__result = { status: relay.status, worker: new URL(registration.active.scriptURL).pathname };
      </script>`,
    });
    const server = await h.serve(site.root);
    const { page } = await h.page();
    const warnings: string[] = [];
    page.on('console', (message) => { if (message.type() === 'warning') warnings.push(message.text()); });
    await page.goto(server.url);
    expect(await appResult(page)).toEqual({ status: 'failed', worker: '/app-sw.js' });
    expect(warnings.find((line) => line.includes('own service worker'))).toContain("importScripts('/@modrelay/worker.js')");
  });

  test('registered through the client without modrelay inside: the page is told the worker does not answer', async () => {
    const site = await h.site({
      'plain-sw.js': PLAIN_WORKER,
      'boot.mjs': `const { registerModuleRelay } = await import('/@modrelay/client.mjs');
const relay = await registerModuleRelay({ swUrl: '/plain-sw.js', heartbeatMs: 0 });
window.__result = { status: relay.status };
`,
    });
    const server = await h.serve(site.root);
    const { page } = await h.page();
    const warnings: string[] = [];
    page.on('console', (message) => { if (message.type() === 'warning') warnings.push(message.text()); });
    await page.goto(server.url);
    expect(await appResult(page)).toEqual({ status: 'controlled' });
    await poll(async () => warnings.some((line) => line.includes('does not answer modrelay')), 5000);
  });
});
