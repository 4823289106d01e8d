import { createServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import sirv from 'sirv';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { launchChromium } from '../../scripts/chromium.js';
import { attachRelay, serve, type MountedRelay } from '../../server/index.js';
import { devCertificate } from '../../server/http/certificate.js';
import { browserSuite } from '../support/harness.js';
import { appResult } from '../support/page-log.js';
import { removeRoot, tempRoot } from '../support/temp.js';
import { poll } from '../support/wait.js';

/**
 * Issue 24: the relay inside the app's own server. A plain Node server that serves the app
 * (sirv), runs its own WebSocket endpoint on /ws/session (a `ws` server attached with `{
 * server, path }`, which answers 400 to any other path) and mounts the relay at /ws/modules,
 * all on one port: both sockets work at once in Chromium, modules come from the relay and then
 * the cache, an edit is announced, a foreign Origin is refused at the relay's path while the
 * app's path keeps its own policy; the same over HTTPS (wss:// on the page's own port).
 */
const FILES = {
  'app.mjs': "import { value } from './lib/value.mjs';\nwindow.__result = { value };\n",
  'lib/value.mjs': "export const value = 'v1';\n",
};

const h = browserSuite();

interface App {
  url: string;
  server: HttpServer;
  relay: MountedRelay;
  root: string;
  write(path: string, text: string): Promise<void>;
}

/** The app's own server: its files, its session socket, and the relay at /ws/modules. */
async function appServer(secure: { key: string; cert: string } | null): Promise<App> {
  const site = await h.site(FILES);
  const files = sirv(site.root, { dev: true });
  let relay!: MountedRelay;
  const handle = (request: Parameters<typeof files>[0], response: Parameters<typeof files>[1]) => relay.handler(request, response, () => files(request, response));
  const server = secure ? createHttpsServer(secure, handle) : createServer(handle);
  relay = await attachRelay(server, { root: site.root, path: '/ws/modules' });
  const session = new WebSocketServer({ server, path: '/ws/session' });
  session.on('connection', (socket) => socket.on('message', (data) => socket.send(`echo ${String(data)}`)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  h.defer(async () => {
    await relay.close();
    session.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const port = (server.address() as AddressInfo).port;
  return { url: `${secure ? 'https' : 'http'}://127.0.0.1:${port}/`, server, relay, root: site.root, write: site.write };
}

/** The page's own session socket: opens, echoes, and is open while the relay's is. */
function sessionEcho(page: Page): Promise<string> {
  // globalThis: the page's WebSocket, not the `ws` this file imports (the test transform would rename it).
  return page.evaluate(() => new Promise<string>((resolve, reject) => {
    const socket = new globalThis.WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/session`);
    socket.onopen = () => socket.send('hello');
    socket.onmessage = (event) => resolve(String(event.data));
    socket.onerror = () => reject(new Error('the session socket failed'));
  }));
}

/** What an upgrade with `origin` gets at `path`: 'open', or the HTTP status that refused it. */
function upgradeWith(url: string, origin: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { headers: { origin }, rejectUnauthorized: false });
    socket.on('open', () => { socket.close(); resolve('open'); });
    socket.on('unexpected-response', (_request, response) => resolve(String(response.statusCode)));
    socket.on('error', () => resolve('error'));
  });
}

/** Loads the page twice: the first visit through the relay, the reload from the worker's caches. */
async function checkApp(page: Page, app: App): Promise<void> {
  const sources: Record<string, string | undefined> = {};
  page.on('response', (response) => {
    if (response.url().endsWith('/lib/value.mjs')) sources[`load ${Object.keys(sources).length}`] = response.headers()['x-modrelay-source'];
  });
  await page.goto(app.url);
  expect(await appResult(page)).toEqual({ value: 'v1' });
  expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toContain('/sw.js');
  // The worker's socket: on the page's own origin, at the mount path, no port of its own.
  const relayUrl = await page.evaluate(() => new URL(navigator.serviceWorker.controller!.scriptURL).searchParams.get('relay'));
  expect(relayUrl).toBe(`${app.url.startsWith('https') ? 'wss' : 'ws'}://${new URL(app.url).host}/ws/modules`);
  await poll(async () => app.relay.status().clients > 0);
  expect(await sessionEcho(page)).toBe('echo hello');
  expect(app.relay.status().clients).toBeGreaterThan(0);
  await page.reload();
  expect(await appResult(page)).toEqual({ value: 'v1' });
  expect(Object.values(sources)[0]).toBe('relay');
  expect(['cache', undefined]).toContain(Object.values(sources)[1]); // the worker's cache, or the HTTP cache with no fetch handler
  await app.write('lib/value.mjs', "export const value = 'v2';\n");
  await poll(() => page.evaluate(() => (window as unknown as { __modrelay: { updates: { url: string }[] } }).__modrelay.updates.some((u) => u.url.endsWith('/lib/value.mjs'))));
  await page.reload();
  expect(await appResult(page)).toEqual({ value: 'v2' });
}

describe('the relay inside the app\'s own server (browser)', () => {
  test('plain http: the app\'s /ws/session and the relay\'s /ws/modules on one port; a foreign origin refused at the relay only; close() leaves the app\'s socket as it was', async () => {
    const app = await appServer(null);
    const before = app.server.listeners('upgrade').length;
    const { page } = await h.page();
    await checkApp(page, app);
    const wsUrl = app.url.replace('http', 'ws');
    expect(await upgradeWith(`${wsUrl}ws/modules`, 'http://evil.example')).toBe('403');
    expect(await upgradeWith(`${wsUrl}ws/session`, 'http://evil.example')).toBe('open'); // the app's own policy
    expect(await upgradeWith(`${wsUrl}ws/modules`, new URL(app.url).origin)).toBe('open');
    await app.relay.close();
    expect(app.server.listeners('upgrade').length).toBe(before - 1); // the app's own only: the relay's stand-in is gone
    expect(await upgradeWith(`${wsUrl}ws/session`, new URL(app.url).origin)).toBe('open');
  });
});

describe('the same over HTTPS (browser, the certificate trusted by its public key)', () => {
  let browser: Browser;
  let cacheHome: string;
  let certificate: Awaited<ReturnType<typeof devCertificate>>;
  beforeAll(async () => {
    cacheHome = await tempRoot({}, { prefix: 'modrelay-cache-' });
    process.env.XDG_CACHE_HOME = cacheHome;
    certificate = await devCertificate('127.0.0.1');
    // Chromium registers a service worker only on an origin whose certificate it trusts.
    browser = await launchChromium([`--ignore-certificate-errors-spki-list=${certificate.spki}`]);
  });
  afterAll(async () => {
    delete process.env.XDG_CACHE_HOME;
    await browser?.close();
    await removeRoot(cacheHome);
  });

  test('https: the page is controlled, modules come over wss:// on its own port, then from the cache; the session socket works', async () => {
    const app = await appServer({ key: certificate.key, cert: certificate.cert });
    const context = await browser.newContext();
    h.defer(() => context.close());
    const page = await context.newPage();
    await checkApp(page, app);
    console.log(`[mounted] ${app.url}: controlled by ${await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)}; relay ${JSON.stringify(app.relay.status().clients)} client(s); session echo ok`);
  });

  test('modrelay serve --https: the same certificate from the cache folder, the relay at wss:// on the page\'s port', async () => {
    const site = await h.site(FILES);
    const server = await serve({ root: site.root, port: 0, https: true });
    h.defer(() => server.close());
    expect(server.certificate?.spki).toBe(certificate.spki); // made once, kept
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    expect(server.relay.url).toBe(`wss://${new URL(server.url).host}/ws/modules`);
    const context = await browser.newContext();
    h.defer(() => context.close());
    const page = await context.newPage();
    const sources: (string | undefined)[] = [];
    page.on('response', (response) => { if (response.url().endsWith('/app.mjs')) sources.push(response.headers()['x-modrelay-source']); });
    await page.goto(server.url);
    expect(await appResult(page)).toEqual({ value: 'v1' });
    expect(sources).toEqual(['relay']);
    expect(await page.evaluate(() => new URL(navigator.serviceWorker.controller!.scriptURL).searchParams.get('relay'))).toBe(server.relay.url);
  });

  test('without trusting the certificate, accepting the error is not enough: Chromium registers no service worker', async () => {
    const site = await h.site(FILES);
    const server = await serve({ root: site.root, port: 0, https: true });
    h.defer(() => server.close());
    const untrusting = await launchChromium();
    h.defer(() => untrusting.close());
    const page = await (await untrusting.newContext({ ignoreHTTPSErrors: true })).newPage();
    const errors: string[] = [];
    page.on('console', (message) => { if (message.type() === 'warning' || message.type() === 'error') errors.push(message.text()); });
    await page.goto(server.url);
    expect(await appResult(page)).toEqual({ value: 'v1' }); // the app still runs, over plain HTTPS
    expect(await page.evaluate(() => navigator.serviceWorker.controller)).toBeNull();
    expect(errors.join('\n')).toMatch(/SSL certificate error/);
  });
});
