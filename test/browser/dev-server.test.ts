import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, test } from 'vitest';
import { WebSocketServer } from 'ws';
import { serve } from '../../server/index.js';
import { browserSuite } from '../support/harness.js';
import { appResult } from '../support/page-log.js';

/**
 * A no-build app under `serve --spa --proxy /api=…`, in Chromium: it pushes a history route,
 * a reload there boots, its backend answers through the proxy over HTTP and WebSocket, and
 * its modules come from the worker.
 */
const FILES = {
  'index.html': '<!doctype html><meta charset="utf-8"><script type="module" src="/boot.mjs"></script><body></body>',
  'app.mjs': `import { label } from '/lib/label.mjs';
const api = await (await fetch('/api/hello')).text();
const live = await new Promise((resolve, reject) => {
  const socket = new WebSocket(new URL('/api/live', location.href.replace('http', 'ws')));
  socket.onopen = () => socket.send('ping');
  socket.onmessage = (event) => { resolve(event.data); socket.close(); };
  socket.onerror = () => reject(new Error('socket'));
});
window.__result = { label, api, live, path: location.pathname };
`,
  'lib/label.mjs': `export const label = 'spa';\n`,
};

const h = browserSuite();

describe('serve as the dev server of a no-build app', () => {
  test('a reload at a pushed history route boots; the backend answers through the proxy (HTTP and WebSocket); modules come from the worker', async () => {
    const backend = createServer((request, response) => response.end(`backend ${request.url}`));
    const wss = new WebSocketServer({ server: backend });
    wss.on('connection', (socket) => socket.on('message', (data) => socket.send(`live ${data.toString()}`)));
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    h.defer(() => new Promise((resolve) => { for (const c of wss.clients) c.terminate(); wss.close(); backend.close(resolve); }));
    const site = await h.site(FILES);
    const server = await serve({ root: site.root, port: 0, relayPort: 0, spa: true, proxy: { '/api': `http://127.0.0.1:${(backend.address() as AddressInfo).port}` } });
    h.defer(() => server.close());
    const { page, log } = await h.page();

    await page.goto(server.url);
    expect(await appResult(page)).toEqual({ label: 'spa', api: 'backend /api/hello', live: 'live ping', path: '/' });
    await page.evaluate(() => history.pushState({}, '', '/wand/42'));
    log.reset();
    await page.reload();
    expect(await appResult(page)).toEqual({ label: 'spa', api: 'backend /api/hello', live: 'live ping', path: '/wand/42' });
    const served = await log.byPath();
    expect(served.get('/wand/42')).toMatchObject({ status: 200 });
    expect(served.get('/lib/label.mjs')).toMatchObject({ fromSW: true, source: 'cache' });
  });
});
