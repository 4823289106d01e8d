import { createServer, type IncomingMessage } from 'node:http';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { serve, type Server } from '../../server/index.js';
import { launchChromium } from '../../scripts/chromium.js';
import { png, wav } from '../support/asset-bytes.js';
import { createSite, type Site } from '../support/site.js';
import { firstVisit } from '../support/harness.js';
import { listenLoopback, type LoopbackServer } from './loopback-server.js';
import { record } from './record.js';

/**
 * Issue 28: what a page on another origin can read from a running `serve` and relay. A real
 * Chromium page on another loopback port and on a `*.localhost` name tries every read: the
 * status (both ports), a module by `fetch` and `import()`, a Range request, modrelay's own
 * files, a classic `<script>`, a stylesheet, an image, media, the dev proxy (HTTP, with
 * cookies, and WebSocket) and the relay's socket. Without `--allow-origin` every one is
 * refused; with the page's origin allowed every one works; the app's own page still works.
 */

const SECRET = 'the developer-only secret';

const FILES = {
  'app.mjs': `export const value = 'app';
const out = document.getElementById('out');
if (out) out.textContent = 'rendered';
window.__result = { value };
`,
  'secret.js': `var leakedSecret = ${JSON.stringify(SECRET)};\n`,
  'style.css': '#probe { color: rgb(1, 2, 3); }\n',
  'pixel.png': png([200, 10, 10]),
  'tone.wav': wav(0.5),
};

/** The hostile page: runs every attempt against the targets in its query and reports what it got. */
const ATTACK_HTML = `<!doctype html><meta charset="utf-8"><title>hostile</title><p id="probe">probe</p>
<script>
const q = new URLSearchParams(location.search);
const serveUrl = q.get('serve'), relayHttp = q.get('relay'), relayWs = relayHttp.replace('http', 'ws');
const read = (url, init) => fetch(url, init).then((r) => r.text().then((t) => 'read ' + r.status + ' ' + t.slice(0, 400)), () => 'blocked');
const element = (make, ok) => new Promise((resolve) => {
  const el = make();
  const done = (what) => { resolve(what); };
  el.addEventListener('error', () => done('blocked'), { once: true });
  el.addEventListener(el.tagName === 'AUDIO' ? 'canplay' : 'load', () => done(ok(el)), { once: true });
  setTimeout(() => done('timeout'), 8000);
  document.body.append(el);
});
const socket = (url) => new Promise((resolve) => {
  const ws = new WebSocket(url);
  ws.onopen = () => { ws.close(); resolve('open'); };
  ws.onclose = () => resolve('blocked');
  setTimeout(() => resolve('timeout'), 8000);
});
window.__attempts = (async () => ({
  'status (serve)': await read(serveUrl + '@modrelay/status'),
  'status (relay port)': await read(relayHttp + '@modrelay/status'),
  'fetch a module': await read(serveUrl + 'app.mjs'),
  'import() a module': await import(serveUrl + 'app.mjs').then((m) => 'ran ' + m.value, () => 'blocked'),
  'Range request': await read(serveUrl + 'tone.wav', { headers: { range: 'bytes=0-3' } }),
  'fetch /sw.js': await read(serveUrl + 'sw.js'),
  'fetch the client': await read(serveUrl + '@modrelay/client.mjs'),
  'classic <script>': await element(() => Object.assign(document.createElement('script'), { src: serveUrl + 'secret.js' }), () => 'ran ' + String(window.leakedSecret)),
  'stylesheet': await element(() => Object.assign(document.createElement('link'), { rel: 'stylesheet', href: serveUrl + 'style.css' }),
    () => 'applied ' + getComputedStyle(document.getElementById('probe')).color),
  'image': await element(() => Object.assign(document.createElement('img'), { src: serveUrl + 'pixel.png' }), (img) => 'loaded ' + img.naturalWidth),
  'media': await element(() => Object.assign(document.createElement('audio'), { src: serveUrl + 'tone.wav', preload: 'auto' }), (a) => 'playable ' + a.duration),
  'proxy, with cookies': await read(serveUrl + 'api/secret', { credentials: 'include' }),
  'proxy, no-cors POST': await fetch(serveUrl + 'api/write', { mode: 'no-cors', method: 'POST', body: 'x' }).then(() => 'sent', () => 'blocked'),
  'proxy WebSocket': await socket(serveUrl.replace('http', 'ws') + 'api/socket'),
  'relay WebSocket': await socket(relayWs),
}))();
</script>`;

type Attempts = Record<string, string>;

/** The backend behind `--proxy /api`: answers any origin with credentialed CORS (the worst case) and counts what reaches it. */
async function startBackend(): Promise<LoopbackServer & { seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((request, response) => {
    seen.push(`${request.method} ${request.url}`);
    response.writeHead(200, {
      'content-type': 'application/json',
      'access-control-allow-origin': request.headers.origin ?? '*',
      'access-control-allow-credentials': 'true',
    });
    response.end(JSON.stringify({ backend: SECRET }));
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, request: IncomingMessage) => {
    seen.push(`WebSocket ${request.url}`);
    ws.close();
  });
  return Object.assign(await listenLoopback(server), { seen });
}

describe('a hostile page on another origin (browser)', () => {
  let site: Site;
  let backend: Awaited<ReturnType<typeof startBackend>>;
  let attacker: LoopbackServer;
  let browser: Browser;
  let origins: { name: string; origin: string }[];

  beforeAll(async () => {
    site = await createSite(FILES);
    backend = await startBackend();
    attacker = await listenLoopback(createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(ATTACK_HTML);
    }));
    origins = [
      { name: 'another loopback port', origin: attacker.origin },
      { name: 'a *.localhost name', origin: `http://attacker.localhost:${attacker.port}` },
    ];
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await attacker?.close();
    await backend?.close();
    await site?.cleanup();
  });

  async function attack(origin: string, server: Server): Promise<Attempts> {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      // The developer's session with the backend, on the dev server's host. A page on another
      // loopback port is same-site with it, so the browser sends this cookie along.
      await context.addCookies([{ name: 'session', value: 'dev', url: server.url, sameSite: 'Lax' }]);
      const target = new URLSearchParams({ serve: server.url, relay: server.relay.url.replace('ws', 'http') });
      await page.goto(`${origin}/attack.html?${target}`);
      return await page.evaluate(() => (window as unknown as { __attempts: Promise<Attempts> }).__attempts);
    } finally {
      await context.close();
    }
  }

  async function withServe<T>(allowOrigins: string[], run: (server: Server) => Promise<T>): Promise<T> {
    const server = await serve({ root: site.root, port: 0, relayPort: 0, allowOrigins, proxy: { '/api': backend.origin } });
    try {
      return await run(server);
    } finally {
      await server.close();
    }
  }

  it('without --allow-origin every read, run and embed is refused, and nothing reaches the backend', async () => {
    await withServe([], async (server) => {
      for (const { name, origin } of origins) {
        backend.seen.length = 0;
        const attempts = await attack(origin, server);
        // A no-cors POST resolves (opaque) whatever the answer: the backend's count says whether it got through.
        const through = Object.entries(attempts).filter(([what, result]) => result !== 'blocked' && what !== 'proxy, no-cors POST');
        record({
          area: 'hostile page',
          tried: `a page on ${name} (${origin}), no --allow-origin: ${Object.keys(attempts).join(', ')}`,
          times: Object.keys(attempts).length,
          happened: `${Object.keys(attempts).length - through.length}/${Object.keys(attempts).length} refused${through.length ? `; got through: ${through.map(([k, v]) => `${k} → ${v.slice(0, 60)}`).join('; ')}` : ''}; the backend saw ${backend.seen.length} requests`,
          pass: through.length === 0 && backend.seen.length === 0,
        });
        expect(through).toEqual([]);
        expect(backend.seen).toEqual([]);
      }
      // The app's own page still works: first visit through the worker, rendered.
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await firstVisit(page, server.url);
        await page.waitForFunction(() => document.getElementById('out')?.textContent === 'rendered');
        await page.reload();
        await page.waitForFunction(() => document.getElementById('out')?.textContent === 'rendered');
      } finally {
        await context.close();
      }
    });
  }, 120_000);

  it('with the page\'s origin allowed every one of them works', async () => {
    for (const { name, origin } of origins) {
      await withServe([origin], async (server) => {
        backend.seen.length = 0;
        const attempts = await attack(origin, server);
        const refused = Object.entries(attempts).filter(([, result]) => result === 'blocked' || result === 'timeout');
        record({
          area: 'hostile page',
          tried: `the same page on ${name} with --allow-origin ${origin}`,
          times: Object.keys(attempts).length,
          happened: `${Object.keys(attempts).length - refused.length}/${Object.keys(attempts).length} worked${refused.length ? `; refused: ${refused.map(([k]) => k).join(', ')}` : ''}; the backend saw ${backend.seen.length} requests`,
          pass: refused.length === 0,
        });
        expect(refused).toEqual([]);
        expect(attempts['status (serve)']).toContain(JSON.stringify(site.root).slice(1, -1));
        expect(attempts['classic <script>']).toBe(`ran ${SECRET}`);
        expect(attempts['stylesheet']).toBe('applied rgb(1, 2, 3)');
        expect(attempts['Range request']).toMatch(/^read 206 /);
        expect(attempts['proxy, with cookies']).toContain(SECRET);
        expect(backend.seen).toEqual(expect.arrayContaining(['GET /api/secret', 'POST /api/write', 'WebSocket /api/socket']));
      });
    }
  }, 120_000);

  it('curl with a forged Origin: no CORS, and the status says the version and "not allowed" only', async () => {
    await withServe([], async (server) => {
      const relayHttp = server.relay.url.replace('ws', 'http');
      const wrong: string[] = [];
      const forged = ['https://evil.example', 'null', 'http://attacker.localhost:3000', `http://127.0.0.1:${attacker.port}`];
      for (const origin of forged) {
        for (const base of [server.url, relayHttp]) {
          const response = await fetch(new URL('/@modrelay/status', base), { headers: { origin } });
          const body = await response.text();
          const cors = response.headers.get('access-control-allow-origin');
          if (cors !== null || response.status !== 403 || body.includes(site.root) || !/"originAllowed": false/.test(body)) {
            wrong.push(`${origin} → ${base}: ${response.status}, ACAO ${cors}, ${body.slice(0, 120)}`);
          }
        }
        const file = await fetch(new URL('/app.mjs', server.url), { headers: { origin } });
        if (file.status !== 403 || file.headers.get('access-control-allow-origin') !== null) wrong.push(`${origin} → /app.mjs: ${file.status}`);
      }
      // The developer's own curl (no Origin) and the page's own origin see everything.
      const own = await (await fetch(new URL('/@modrelay/status', server.url))).json() as { root?: string };
      const same = await fetch(new URL('/@modrelay/status', server.url), { headers: { origin: new URL(server.url).origin } });
      record({
        area: 'hostile page',
        tried: `${forged.length} forged Origin headers (curl) against /@modrelay/status on both ports and a module`,
        times: forged.length * 3,
        happened: `${wrong.length === 0 ? 'every answer 403 without Access-Control-Allow-Origin; status bodies hold the version and originAllowed: false only' : wrong.join('; ')}; no Origin: root ${own.root === site.root ? 'shown' : 'missing'}`,
        pass: wrong.length === 0 && own.root === site.root && same.status === 200,
      });
      expect(wrong).toEqual([]);
      expect(own.root).toBe(site.root);
      expect(same.status).toBe(200);
    });
  });
});
