import { createServer, request, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { serve, type Server } from '../../server/index.js';
import { removeRoot, tempRoot } from '../support/temp.js';

/**
 * `modrelay serve` as an app's dev server (Vite's `server.*` options): history fallback,
 * a backend proxied for HTTP and WebSocket, headers on every answer.
 */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

const FILES = { 'index.html': '<p>app shell</p>\n', 'app.html': '<p>other shell</p>\n', 'a.mjs': 'export const a = 1;\n' };

async function start(options: Partial<Parameters<typeof serve>[0]>): Promise<Server> {
  const root = await tempRoot(FILES);
  cleanups.push(() => removeRoot(root));
  const server = await serve({ root, port: 0, relayPort: 0, ...options });
  cleanups.push(() => server.close());
  return server;
}

/** What a browser's navigation sends (fetch() would replace Sec-Fetch-Mode with its own). */
const NAVIGATE = { 'sec-fetch-mode': 'navigate', accept: 'text/html' };

function navigate(base: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(new URL(path, base), { headers: NAVIGATE }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    }).on('error', reject).end();
  });
}

/** A backend: echoes what it received over HTTP, and over WebSocket. */
async function backend(): Promise<{ url: string; seen: IncomingMessage[] }> {
  const seen: IncomingMessage[] = [];
  const http: HttpServer = createServer((request, response) => {
    seen.push(request);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ url: request.url, host: request.headers.host, forwardedHost: request.headers['x-forwarded-host'], forwardedFor: request.headers['x-forwarded-for'] }));
  });
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (socket, request) => socket.on('message', (data) => socket.send(`echo ${request.url} ${data.toString()}`)));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => { for (const client of wss.clients) client.terminate(); wss.close(); http.close(resolve); }));
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, seen };
}

describe('serve as a dev server', () => {
  it('spa: a navigation to a history route answers index.html; files, fetches and paths with an extension still 404', async () => {
    const server = await start({ spa: true });
    expect(await navigate(server.url, '/wand/deep')).toEqual({ status: 200, body: '<p>app shell</p>\n' });
    expect((await fetch(new URL('/wand', server.url))).status).toBe(404); // a fetch(), not a navigation
    expect((await navigate(server.url, '/missing.mjs')).status).toBe(404);
    expect(await navigate(server.url, '/a.mjs')).toEqual({ status: 200, body: 'export const a = 1;\n' });
  });

  it('fallback: another file answers history routes; without either option they 404', async () => {
    const other = await start({ fallback: 'app.html' });
    expect(await navigate(other.url, '/wand')).toEqual({ status: 200, body: '<p>other shell</p>\n' });
    const plainServer = await start({});
    expect((await navigate(plainServer.url, '/wand')).status).toBe(404);
  });

  it('proxy: requests under the prefix reach the backend with their path, Host and X-Forwarded-*; WebSocket too; a dead backend is a 502', async () => {
    const api = await backend();
    const server = await start({ proxy: { '/api': api.url } });
    const answer = await (await fetch(new URL('/api/items?page=2', server.url))).json() as Record<string, string>;
    expect(answer).toMatchObject({ url: '/api/items?page=2', host: new URL(api.url).host, forwardedHost: new URL(server.url).host });
    expect(answer.forwardedFor).toContain('127.0.0.1');
    // Not under the prefix: served from the root as usual.
    expect(await (await fetch(new URL('/a.mjs', server.url))).text()).toBe('export const a = 1;\n');
    expect((await fetch(new URL('/apixyz', server.url))).status).toBe(404);

    const socket = new WebSocket(new URL('/api/live', server.url.replace('http', 'ws')));
    const echoed = await new Promise<string>((resolve, reject) => {
      socket.on('open', () => socket.send('ping'));
      socket.on('message', (data) => resolve(data.toString()));
      socket.on('error', reject);
    });
    socket.close();
    expect(echoed).toBe('echo /api/live ping');

    const dead = await start({ proxy: { '/api': 'http://127.0.0.1:9' } });
    const down = await fetch(new URL('/api/x', dead.url));
    expect(down.status).toBe(502);
    expect(await down.text()).toContain('did not answer');
    expect((await fetch(new URL('/a.mjs', dead.url))).status).toBe(200); // still serving
  });

  it('headers: added to every answer, files, errors and modrelay\'s own alike', async () => {
    const server = await start({ headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'X-Dev': 'modrelay' } });
    for (const path of ['/', '/a.mjs', '/missing.txt', '/sw.js']) {
      const response = await fetch(new URL(path, server.url));
      expect({ path, coop: response.headers.get('cross-origin-opener-policy'), dev: response.headers.get('x-dev') }).toEqual({ path, coop: 'same-origin', dev: 'modrelay' });
    }
  });

  it('/@modrelay/status: JSON on serve and on the relay\'s port (there: CORS, and nothing but the version for a refused origin); HTML for a browser', async () => {
    const server = await start({});
    await fetch(new URL('/a.mjs', server.url));
    const status = await (await fetch(new URL('/@modrelay/status', server.url))).json() as Record<string, unknown>;
    expect(status).toMatchObject({ version: expect.stringMatching(/^\d+\.\d+\.\d+/), clients: 0, watcher: 'watching', changes: [] });
    expect(status.known).toBeGreaterThanOrEqual(1);
    const page = await fetch(new URL('/@modrelay/status', server.url), { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<h1>modrelay ');
    const relayStatus = new URL('/@modrelay/status', server.relay.url.replace('ws', 'http'));
    const allowed = await fetch(relayStatus, { headers: { origin: new URL(server.url).origin } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe(new URL(server.url).origin);
    expect(await allowed.json()).toMatchObject({ originAllowed: true, watcher: 'watching' });
    const refused = await (await fetch(relayStatus, { headers: { origin: 'http://evil.example' } })).json();
    expect(refused).toEqual({ version: status.version, originAllowed: false });
  });

  it('refuses impossible options with a clear TypeError', async () => {
    await expect(start({ proxy: { api: 'http://127.0.0.1:1' } })).rejects.toThrow('must start with "/"');
    await expect(start({ proxy: { '/api': 'ftp://x' } })).rejects.toThrow('http:// or https:// target');
    await expect(start({ headers: { 'Bad Header': 'x' } })).rejects.toThrow('not a valid header');
  });
});
