import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, symlink } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { serve, type Server } from '../../server/index.js';
import { sha256 } from '../support/sha256.js';
import { removeRoot, tempRoot } from '../support/temp.js';
import { asModule, TestClient } from './helpers.js';

/** serve() reads dist/sw.js and dist/client.mjs: `npm run build` first (npm test does). */
let root: string;
let outside: string;
let server: Server;

beforeAll(async () => {
  outside = await tempRoot({ 'secret.html': 'SECRET-OUTSIDE' });
  root = await tempRoot({
    'index.html': '<!doctype html><title>demo</title>',
    'app.mjs': "import './lib/a.mjs';\n",
    'lib/a.mjs': 'export const a = 1;\n',
    'sub/index.html': 'sub index',
    'style.css': 'body{}',
    '.env': 'TOKEN=secret',
    '.git/config': '[core]',
  });
  await symlink(join(outside, 'secret.html'), join(root, 'out.html'));
  server = await serve({ root, port: 0, relayPort: 0 });
});
afterAll(async () => {
  await server.close();
  await removeRoot(root);
  await removeRoot(outside);
});

/** A raw GET, so the path reaches the server exactly as written (fetch would normalize it). */
function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serve: static files', () => {
  it('serves index.html at / with HTML type, ETag and no-cache', async () => {
    const response = await get('/');
    expect(response.status).toBe(200);
    expect(response.body).toBe('<!doctype html><title>demo</title>');
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.headers.etag).toMatch(/^(W\/)?"[^"]+"$/);
  });

  it('answers a matching If-None-Match with 304', async () => {
    const first = await get('/app.mjs');
    expect(first.headers['content-type']).toMatch(/^text\/javascript/);
    const second = await get('/app.mjs', { 'if-none-match': String(first.headers.etag) });
    expect(second.status).toBe(304);
    expect(second.body).toBe('');
  });

  it('serves a folder index and redirects a folder URL without its slash', async () => {
    expect((await get('/sub/')).body).toBe('sub index');
    const redirect = await get('/sub');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('/sub/');
  });

  it('serves other file types with their MIME type', async () => {
    const response = await get('/style.css');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/css/);
  });

  it.each([
    ['/.env', 403],
    ['/.git/config', 403],
    ['/%2eenv', 403],
    ['/lib/../.env', 403],
    ['/%2e%2e/%2e%2e/etc/passwd', 403],
    ['/lib/../app.mjs', 403],
    ['//.env', 403],
    ['//evil.example/', 403],
    ['/%2F%2Fevil.example', 403],
    ['http://127.0.0.1/.env', 403],
    ['/lib/%2e%2e/.env', 403],
    ['/%252e%252e/etc/passwd', 403],
    ['/lib%5c..%5c.env', 403],
    ['/app.mjs%00', 403],
    ['/out.html', 403],
    ['/missing.html', 404],
    ['/%E0%A4%A', 400],
  ])('refuses %s with %i and never leaks a secret', async (path, status) => {
    const response = await get(path);
    expect(response.status).toBe(status);
    expect(response.body).not.toMatch(/TOKEN|SECRET-OUTSIDE|\[core\]|root:x:/);
  });

  it('answers a module from the relay\'s store: the sha-256 as a strong ETag, 304 when it matches', async () => {
    const first = await get('/lib/a.mjs');
    expect(first.status).toBe(200);
    expect(first.body).toBe('export const a = 1;\n');
    expect(first.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(first.headers.etag).toBe(`"${sha256('export const a = 1;\n')}"`);
    expect((await get('/lib/a.mjs', { 'if-none-match': `W/"x", ${String(first.headers.etag)}` })).status).toBe(304);
    expect((await get('/lib/a.mjs', { 'if-none-match': '"0000"' })).status).toBe(200);
  });

  it("answers the worker's HTTP-cache copy of a file immutable, and only that (never a page)", async () => {
    const tagged = await get('/lib/a.mjs', { 'x-modrelay-store': 'http-cache' });
    expect(tagged.status).toBe(200);
    expect(tagged.body).toBe('export const a = 1;\n');
    expect(tagged.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    // Assets the worker copies too.
    expect((await get('/style.css', { 'x-modrelay-store': 'http-cache' })).headers['cache-control']).toBe('public, max-age=31536000, immutable');
    // A page's own request (no header), another header value, a page: revalidated every
    // time, so a page without the worker never runs an old module.
    expect((await get('/lib/a.mjs')).headers['cache-control']).toBe('no-cache');
    expect((await get('/style.css')).headers['cache-control']).toBe('no-cache');
    expect((await get('/lib/a.mjs', { 'x-modrelay-store': 'yes' })).headers['cache-control']).toBe('no-cache');
    expect((await get('/index.html', { 'x-modrelay-store': 'http-cache' })).headers['cache-control']).toBe('no-cache');
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const response = await get('/', { host: 'evil.example' });
    expect(response.status).toBe(403);
  });
});

describe('serve: built assets', () => {
  it('serves /sw.js from dist with no-cache', async () => {
    const response = await get('/sw.js');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.body).toBe(await readFile(new URL('../../dist/sw.js', import.meta.url), 'utf8'));
    const again = await get('/sw.js', { 'if-none-match': String(response.headers.etag) });
    expect(again.status).toBe(304);
  });

  it('serves /@modrelay/client.mjs with the relay URL substituted', async () => {
    const response = await get('/@modrelay/client.mjs');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const built = await readFile(new URL('../../dist/client.mjs', import.meta.url), 'utf8');
    expect(built).toContain('__MODRELAY_RELAY_URL__');
    expect(response.body).not.toContain('__MODRELAY_RELAY_URL__');
    expect(response.body).toBe(built.replaceAll('__MODRELAY_RELAY_URL__', server.relay.url));
  });
});

describe('serve: source maps of the built assets', () => {
  it.each([['/sw.js.map', 'sw.js.map'], ['/@modrelay/client.mjs.map', 'client.mjs.map']])('serves %s from dist', async (path, file) => {
    const response = await get(path);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.body).toBe(await readFile(new URL(`../../dist/${file}`, import.meta.url), 'utf8'));
  });
});

describe('serve: relay', () => {
  it('runs a relay on its own port that allows the HTTP origin and serves modules', async () => {
    const httpPort = new URL(server.url).port;
    const client = await TestClient.open(server.relay.url, `http://localhost:${httpPort}`);
    try {
      const answer = asModule(await client.request('/lib/a.mjs'));
      expect(answer.header.hash).toBe(sha256('export const a = 1;\n'));
    } finally {
      client.close();
    }
    expect(await TestClient.refusal(server.relay.url, 'http://evil.example')).toBe(403);
  });
});
