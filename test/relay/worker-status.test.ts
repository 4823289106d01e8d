import { afterEach, describe, expect, it } from 'vitest';
import { createRelay, serve, type Relay, type Server } from '../../server/index.js';
import { removeRoot, tempRoot } from '../support/temp.js';
import { TestClient } from './helpers.js';

/**
 * Issue 22: a worker tells the relay which store answers its pages and why (`worker:status`);
 * the relay says it once in its terminal and shows it in `/@modrelay/status`. And the relay
 * tells every worker the headers its files carry (`hello.headers`).
 */
let root: string;
let relay: Relay | undefined;
let server: Server | undefined;
afterEach(async () => {
  await relay?.close();
  await server?.close();
  relay = server = undefined;
  await removeRoot(root);
});

const PENDING = { store: 'http-cache', state: 'unsupported', answering: 'worker', reason: 'the HTTP server answers the x-modrelay-store request header without `immutable`' };

describe('worker:status', () => {
  it('is shown in the status per connected worker, and said once in the terminal per origin and reason', async () => {
    root = await tempRoot({ 'a.mjs': 'export {};\n' });
    const warned: string[] = [];
    server = await serve({ root, port: 0, relayPort: 0, log: { info() {}, warn: (line) => warned.push(line), debug() {} } });
    const origin = new URL(server.url).origin;
    const clients = [await TestClient.open(server.relay.url, origin), await TestClient.open(server.relay.url, origin)];
    for (const client of clients) {
      await client.hello();
      client.send({ type: 'worker:status', id: 1, store: PENDING });
    }
    // A request after it on the same socket: the status is taken before it is answered.
    await clients[1]!.request('/a.mjs');
    await clients[0]!.request('/a.mjs');
    const status = await (await fetch(new URL('/@modrelay/status', server.url))).json() as { workers: unknown[] };
    expect(status.workers).toEqual([{ origin, ...PENDING }, { origin, ...PENDING }]);
    expect(warned.filter((line) => line.includes('the fast path'))).toEqual([`${origin}: the fast path (http-cache) is unsupported: ${PENDING.reason}`]);
    const page = await (await fetch(new URL('/@modrelay/status', server.url), { headers: { accept: 'text/html' } })).text();
    expect(page).toContain('answered by worker');
    for (const client of clients) client.close();
  });

  it('is validated like every frame: a wrong state or an over-long reason is a bad-request, and nothing is shown', async () => {
    root = await tempRoot({});
    relay = await createRelay({ root, port: 0 });
    const client = await TestClient.open(relay.url);
    await client.hello();
    client.send({ type: 'worker:status', id: 7, store: { ...PENDING, state: 'great' } });
    expect(await client.answer(7)).toMatchObject({ kind: 'json', message: { type: 'module:error', code: 'bad-request', message: expect.stringContaining('"state"') } });
    client.send({ type: 'worker:status', id: 8, store: { ...PENDING, reason: 'x'.repeat(501) } });
    expect(await client.answer(8)).toMatchObject({ kind: 'json', message: { type: 'module:error', code: 'bad-request' } });
    client.close();
  });
});

describe('hello.headers', () => {
  it("carries serve's --header set; none when there are none", async () => {
    root = await tempRoot({});
    server = await serve({ root, port: 0, relayPort: 0, headers: { 'Cross-Origin-Embedder-Policy': 'require-corp' } });
    const client = await TestClient.open(server.relay.url);
    expect((await client.hello()).headers).toEqual({ 'Cross-Origin-Embedder-Policy': 'require-corp' });
    client.close();
    relay = await createRelay({ root, port: 0 });
    const plain = await TestClient.open(relay.url);
    expect((await plain.hello()).headers).toBeUndefined();
    plain.close();
  });
});
