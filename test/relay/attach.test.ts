import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { connect, createSecureServer } from 'node:http2';
import { attachRelay, mountRelay, type MountedRelay } from '../../server/index.js';
import { devCertificate } from '../../server/http/certificate.js';
import { removeRoot, tempRoot } from '../support/temp.js';
import { asModule, TestClient } from './helpers.js';
import { sha256 } from '../support/sha256.js';
import { chmod, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { join } from 'node:path';

/**
 * attachRelay on an app's own server, over real sockets: the relay takes its path and nothing
 * else, beside `ws` servers the app attached before and after it (each answers 400 to any path
 * but its own, so the relay must keep its upgrades away from them), with its own Origin and Host
 * checks; its HTTP routes as a handler; close() puts the server back as it was.
 */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => { while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined); });

async function app(): Promise<{ server: Server; url: string; origin: string; root: string }> {
  const root = await tempRoot({ 'app.mjs': "export const app = 'mounted';\n", 'index.html': '<p>app</p>' });
  cleanups.push(() => removeRoot(root));
  const server = createServer((_request, response) => response.end('the app\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, url: origin.replace('http', 'ws'), origin, root };
}

function echo(server: Server, path: string): WebSocketServer {
  const wss = new WebSocketServer({ server, path });
  wss.on('connection', (socket) => socket.on('message', (data) => socket.send(`${path} ${String(data)}`)));
  cleanups.push(() => new Promise((resolve) => wss.close(resolve)));
  return wss;
}

function roundTrip(url: string, origin?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, origin ? { headers: { origin } } : {});
    socket.on('open', () => socket.send('ping'));
    socket.on('message', (data) => { resolve(String(data)); socket.close(); });
    socket.on('unexpected-response', (_request, response) => resolve(`refused ${response.statusCode}`));
    socket.on('error', reject);
  });
}

describe('attachRelay', () => {
  // One `ws` server with `{ server, path }` per app server: two of them on one server answer 400 to
  // each other's upgrades without modrelay too (ws's docs route by hand with `noServer` for that).
  for (const when of ['before', 'after'] as const) {
    it(`takes its own path only, beside the app's ws server attached ${when} it; close() leaves the server as it was`, async () => {
      const { server, url, origin, root } = await app();
      if (when === 'before') echo(server, '/ws/session');
      const before = server.listeners('upgrade');
      const relay = await attachRelay(server, { root, path: '/ws/modules' });
      cleanups.push(() => relay.close());
      if (when === 'after') echo(server, '/ws/session');
      const client = await TestClient.open(`${url}/ws/modules`, origin);
      expect((await client.nextOf('hello')).type).toBe('hello');
      expect(await roundTrip(`${url}/ws/session`, origin)).toBe('/ws/session ping');
      expect(relay.status().clients).toBe(1);
      client.close();
      await relay.close();
      // The app's listeners as they were, the one it added later included; the relay's path is free again.
      expect(server.listeners('upgrade').slice(0, before.length)).toEqual(before);
      expect(server.listeners('upgrade').length).toBe(1);
      expect(Object.hasOwn(server, 'emit')).toBe(false);
      expect(await roundTrip(`${url}/ws/session`, origin)).toBe('/ws/session ping');
      expect(await roundTrip(`${url}/ws/modules`, origin)).toBe('refused 400');
    });
  }

  it("refuses a foreign Origin and a rebound Host at its path; the page's own origin, and clients without Origin, get in", async () => {
    const { server, url, origin, root } = await app();
    echo(server, '/ws/session');
    const relay = await attachRelay(server, { root });
    cleanups.push(() => relay.close());
    expect(relay.path).toBe('/ws/modules');
    expect(await TestClient.refusal(`${url}/ws/modules`, 'http://evil.example')).toBe(403);
    expect(await roundTrip(`${url}/ws/session`, 'http://evil.example')).toBe('/ws/session ping'); // the app's own policy
    const rebound = await new Promise<number>((resolve) => {
      const socket = new WebSocket(`${url}/ws/modules`, { headers: { host: 'evil.example', origin: 'http://evil.example' } });
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.on('open', () => resolve(101));
    });
    expect(rebound).toBe(403);
    for (const from of [origin, undefined]) {
      const client = await TestClient.open(`${url}/ws/modules`, from);
      expect((await client.nextOf('hello')).type).toBe('hello');
      client.close();
    }
  });

  it('its handler serves the client (announcing the mount path), /sw.js and the status; the app\'s files get the store\'s Cache-Control and go on to `next`', async () => {
    const root = await tempRoot({ 'app.mjs': "export const app = 1;\n" });
    cleanups.push(() => removeRoot(root));
    const relay = await mountRelay({ root, path: '/ws/modules' });
    cleanups.push(() => relay.close());
    const server = createServer((request, response) => relay.handler(request, response, () => response.end('from the app')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = await fetch(`${base}/@modrelay/client.mjs`);
    expect(client.status).toBe(200);
    const text = await client.text();
    expect(text).toContain('"/ws/modules"');
    expect(text).not.toContain('__MODRELAY_RELAY_URL__');
    expect((await fetch(`${base}/sw.js`)).status).toBe(200);
    const status = await (await fetch(`${base}/@modrelay/status`)).json() as { clients: number };
    expect(status.clients).toBe(0);
    const file = await fetch(`${base}/app.mjs`, { headers: { 'x-modrelay-store': 'http-cache' } });
    expect(await file.text()).toBe('from the app');
    expect(file.headers.get('cache-control')).toContain('immutable');
    // A foreign page cannot read modrelay's files off the app's server either.
    expect((await fetch(`${base}/@modrelay/client.mjs`, { headers: { origin: 'http://evil.example' } })).status).toBe(403);
    // An upgrade elsewhere is not the relay's.
    expect(relay.handleUpgrade({ url: '/ws/session' } as never, {} as never, Buffer.alloc(0))).toBe(false);
  });

  it('on an http2 secure server that allows HTTP/1 (what Vite runs with server.https): wss:// at its path, the HTTP routes over HTTP/2', async () => {
    const cache = await tempRoot({}, { prefix: 'modrelay-cache-' });
    cleanups.push(() => removeRoot(cache));
    process.env.XDG_CACHE_HOME = cache;
    const certificate = await devCertificate('127.0.0.1').finally(() => delete process.env.XDG_CACHE_HOME);
    const root = await tempRoot({ 'app.mjs': "export const app = 2;\n" });
    cleanups.push(() => removeRoot(root));
    let relay!: MountedRelay;
    const server = createSecureServer({ key: certificate.key, cert: certificate.cert, allowHTTP1: true }, (request, response) => relay.handler(request as never, response as never));
    relay = await attachRelay(server, { root });
    cleanups.push(() => relay.close());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const port = (server.address() as AddressInfo).port;
    const client = await TestClient.open(`wss://127.0.0.1:${port}/ws/modules`, `https://127.0.0.1:${port}`, { rejectUnauthorized: false });
    expect((await client.nextOf('hello')).type).toBe('hello');
    client.close();
    const session = connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false });
    cleanups.push(async () => session.close());
    const status = await new Promise<number>((resolve, reject) => {
      const stream = session.request({ ':path': '/@modrelay/client.mjs' });
      stream.on('response', (headers) => { resolve(Number(headers[':status'])); stream.resume(); });
      stream.on('error', reject);
    });
    expect(status).toBe(200);
  });

  it('in production (watch: false, a read-only root): answers and hashes what is on disk, announces nothing, writes nothing; after a deploy a reconnecting client learns the new hash', async () => {
    const { server, url, origin, root } = await app();
    const tree = async () => Promise.all((await readdir(root)).sort().map(async (name) => `${name} ${(await stat(join(root, name))).mtimeMs}`));
    const before = await tree();
    await chmod(root, 0o555);
    cleanups.push(() => chmod(root, 0o755));
    let relay = await attachRelay(server, { root, watch: false });
    let client = await TestClient.open(`${url}/ws/modules`, origin);
    await client.nextOf('hello');
    const first = asModule(await client.request('/app.mjs'));
    expect(first.header.hash).toBe(sha256("export const app = 'mounted';\n"));
    // The deploy: new bytes on disk (the relay learns them when asked, and says nothing), then a restart.
    const deployed = "export const app = 'deployed, a longer line';\n";
    await writeFile(join(root, 'app.mjs'), deployed);
    expect(asModule(await client.request('/app.mjs')).body.toString()).toBe(deployed);
    expect(client.pending()).toEqual([]);
    client.close();
    await relay.close();
    relay = await attachRelay(server, { root, watch: false });
    cleanups.push(() => relay.close());
    client = await TestClient.open(`${url}/ws/modules`, origin);
    await client.nextOf('hello');
    client.send({ type: 'manifest:check', id: 1, entries: { '/app.mjs': first.header.hash } });
    expect((await client.nextOf('manifest:status')).changed).toEqual({ '/app.mjs': sha256(deployed) });
    client.close();
    expect((await tree()).map((line) => line.split(' ')[0])).toEqual(before.map((line) => line.split(' ')[0]));
    expect((await tree()).filter((line) => !line.startsWith('app.mjs'))).toEqual(before.filter((line) => !line.startsWith('app.mjs')));
  });

  it("leaves the app's listeners to the app (a closed ws server is gone, `once` fires once); two relays share a server; an upgrade nobody takes gets a 400", async () => {
    const { server, url, origin, root } = await app();
    const relay = await attachRelay(server, { root, path: '/ws/modules' });
    cleanups.push(() => relay.close());
    expect(await roundTrip(`${url}/ws/session`, origin)).toBe('refused 400');
    const first = echo(server, '/ws/session');
    expect(await roundTrip(`${url}/ws/session`, origin)).toBe('/ws/session ping');
    await new Promise((resolve) => first.close(resolve));
    echo(server, '/ws/session'); // the app's replacement: the closed one must not answer first
    expect(await roundTrip(`${url}/ws/session`, origin)).toBe('/ws/session ping');
    let once = 0;
    server.once('upgrade', () => { once++; });
    await roundTrip(`${url}/ws/session`, origin);
    await roundTrip(`${url}/ws/session`, origin);
    expect(once).toBe(1);
    const second = await attachRelay(server, { root, path: '/ws/other' });
    cleanups.push(() => second.close());
    for (const path of ['/ws/modules', '/ws/other']) {
      const client = await TestClient.open(`${url}${path}`, origin);
      expect((await client.nextOf('hello')).type).toBe('hello');
      client.close();
    }
    await relay.close();
    expect(await roundTrip(`${url}/ws/other`, origin)).not.toMatch(/refused/);
    expect(await roundTrip(`${url}/ws/session`, origin)).toBe('/ws/session ping');
  });

  it('the self-signed certificate: a key on disk that does not go with it (a crash between the two writes) is made again, never served', async () => {
    const cache = await tempRoot({}, { prefix: 'modrelay-cache-' });
    cleanups.push(() => removeRoot(cache));
    process.env.XDG_CACHE_HOME = cache;
    try {
      const made = await devCertificate('127.0.0.1');
      expect((await devCertificate('127.0.0.1')).spki).toBe(made.spki); // kept
      const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
      await writeFile(join(cache, 'modrelay', 'localhost-key.pem'), other);
      const again = await devCertificate('127.0.0.1');
      expect(again.spki).not.toBe(made.spki);
      expect(new X509Certificate(again.cert).checkPrivateKey(createPrivateKey(await readFile(join(cache, 'modrelay', 'localhost-key.pem'), 'utf8')))).toBe(true);
      expect((await stat(join(cache, 'modrelay', 'localhost-key.pem'))).mode & 0o777).toBe(0o600);
      expect((await readdir(join(cache, 'modrelay'))).sort()).toEqual(['localhost-cert.pem', 'localhost-key.pem']);
    } finally {
      delete process.env.XDG_CACHE_HOME;
    }
  });

  it('rejects a path that is not a URL path', async () => {
    const root = await tempRoot({});
    cleanups.push(() => removeRoot(root));
    await expect(mountRelay({ root, path: 'ws/modules' })).rejects.toThrow(/path must be a URL path/);
    await expect(mountRelay({ root, path: '/ws?x' })).rejects.toThrow(/path must be a URL path/);
  });
});
