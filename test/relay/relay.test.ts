import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRelay, type Relay } from '../../server/index.js';
import { sha256 } from '../support/sha256.js';
import { removeRoot, tempRoot } from '../support/temp.js';
import { asModule, errorCode, TestClient } from './helpers.js';

const FILES = {
  'main.mjs': "import { a } from './lib/a.mjs';\nexport const main = a + 1;\n",
  'lib/a.mjs': 'export const a = 41; // ünïcödé\n',
  'legacy.js': 'window.legacy = true;\n',
  'empty.mjs': '',
};

let root: string;
let relay: Relay;
const clients: TestClient[] = [];
const connect = async (origin?: string) => {
  const client = await TestClient.open(relay.url, origin);
  clients.push(client);
  return client;
};

beforeEach(async () => {
  root = await tempRoot(FILES);
  relay = await createRelay({ root, port: 0, watch: false });
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await relay.close();
  await removeRoot(root);
});

describe('createRelay', () => {
  it('listens on loopback with an ephemeral port and reports its ws URL', () => {
    expect(relay.port).toBeGreaterThan(0);
    expect(relay.url).toBe(`ws://127.0.0.1:${relay.port}/`);
  });

  it('refuses a missing root with a TypeError', async () => {
    await expect(createRelay({ root: join(root, 'nope'), port: 0 })).rejects.toThrow(/root folder not found/);
  });

  it('answers plain HTTP with 426 (it only speaks WebSocket)', async () => {
    const response = await fetch(`http://127.0.0.1:${relay.port}/main.mjs`);
    expect(response.status).toBe(426);
  });
});

describe('hello', () => {
  it('is the first frame, with protocol version, relay id, extensions and limits', async () => {
    const client = await connect();
    const hello = await client.hello();
    expect(hello).toMatchObject({
      type: 'hello',
      protocol: 1,
      limits: { maxPayload: 4 * 1024 * 1024, maxInFlight: 64, maxFileSize: 16 * 1024 * 1024 },
    });
    // Modules and the app's assets by default; source types that need a build are not served.
    expect(hello.extensions).toEqual(expect.arrayContaining(['.mjs', '.js', '.cjs', '.json', '.css', '.wasm', '.html', '.png', '.woff2', '.mp4', '.glsl']));
    expect(hello.extensions).not.toContain('.ts');
    expect(hello.relayId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('carries the same relay id on every connection of one relay', async () => {
    const [a, b] = await Promise.all([connect(), connect()]);
    expect((await a.hello()).relayId).toBe((await b.hello()).relayId);
  });
});

describe('module:request', () => {
  it.each(['/main.mjs', '/lib/a.mjs', '/legacy.js', '/empty.mjs'])('answers %s with its exact bytes and their sha-256', async (path) => {
    const client = await connect();
    await client.hello();
    const onDisk = await readFile(join(root, path));
    const { header, body } = asModule(await client.request(path, {}, 7));
    expect(Buffer.compare(body, onDisk)).toBe(0);
    expect(header).toEqual({
      type: 'module:response',
      id: 7,
      path,
      hash: sha256(onDisk),
      contentType: 'text/javascript; charset=utf-8',
      size: onDisk.byteLength,
    });
  });

  it('answers a missing module with not-found, echoing id and path', async () => {
    const client = await connect();
    const answer = await client.request('/missing.mjs', {}, 9);
    expect(answer).toMatchObject({ kind: 'json', message: { type: 'module:error', id: 9, path: '/missing.mjs', code: 'not-found' } });
    // A human sentence, not just the code.
    expect(answer.kind === 'json' && answer.message.type === 'module:error' && answer.message.message).toMatch(/\w+ \w+/);
  });

  it('answers a missing folder on the way with not-found', async () => {
    const client = await connect();
    expect(errorCode(await client.request('/main.mjs/x.mjs'))).toBe('not-found');
    expect(errorCode(await client.request('/nope/x.mjs'))).toBe('not-found');
  });
});

describe('module:check', () => {
  it('says current, changed (with the new hash) or gone', async () => {
    const client = await connect();
    const hash = sha256(FILES['main.mjs']);
    client.send({ type: 'module:check', id: 1, path: '/main.mjs', hash });
    client.send({ type: 'module:check', id: 2, path: '/main.mjs', hash: sha256('old') });
    client.send({ type: 'module:check', id: 3, path: '/gone.mjs', hash });
    const status = async (id: number) => {
      const answer = await client.answer(id);
      return answer.kind === 'json' ? answer.message : answer;
    };
    expect(await status(1)).toEqual({ type: 'module:status', id: 1, path: '/main.mjs', status: 'current' });
    expect(await status(2)).toEqual({ type: 'module:status', id: 2, path: '/main.mjs', status: 'changed', hash });
    expect(await status(3)).toEqual({ type: 'module:status', id: 3, path: '/gone.mjs', status: 'gone' });
  });
});

describe('manifest:check', () => {
  it('returns what changed and what is gone in one round trip, and nothing for current entries', async () => {
    const client = await connect();
    client.send({
      type: 'manifest:check',
      id: 5,
      entries: {
        '/main.mjs': sha256(FILES['main.mjs']),
        '/lib/a.mjs': sha256('an older version'),
        '/deleted.mjs': sha256('x'),
        '/../escape.mjs': sha256('x'),
        '/.hidden.mjs': sha256('x'),
      },
    });
    const status = await client.nextOf('manifest:status');
    expect(status.id).toBe(5);
    expect(status.changed).toEqual({ '/lib/a.mjs': sha256(FILES['lib/a.mjs']) });
    expect([...status.removed].sort()).toEqual(['/../escape.mjs', '/.hidden.mjs', '/deleted.mjs']);
  });

  it('answers an empty manifest with empty results', async () => {
    const client = await connect();
    client.send({ type: 'manifest:check', id: 6, entries: {} });
    expect(await client.nextOf('manifest:status')).toEqual({ type: 'manifest:status', id: 6, changed: {}, removed: [] });
  });

  it('rejects a manifest over 20,000 entries with bad-request', async () => {
    const client = await connect();
    const entries: Record<string, string> = {};
    for (let i = 0; i <= 20_000; i++) entries[`/m${i}.mjs`] = 'x';
    client.send({ type: 'manifest:check', id: 8, entries });
    expect(errorCode(await client.answer(8))).toBe('bad-request');
  });
});

describe('malformed frames', () => {
  it.each([
    ['invalid JSON', '{"type": "module:request",'],
    ['a JSON array', '[1,2,3]'],
    ['a JSON string', '"module:request"'],
    ['no id', JSON.stringify({ type: 'module:request', path: '/main.mjs' })],
    ['a negative id', JSON.stringify({ type: 'module:request', id: -1, path: '/main.mjs' })],
    ['a fractional id', JSON.stringify({ type: 'module:request', id: 1.5, path: '/main.mjs' })],
    ['an unknown type', JSON.stringify({ type: 'module:delete', id: 1, path: '/main.mjs' })],
    ['a relay-only type', JSON.stringify({ type: 'hello', id: 1 })],
    ['a non-string path', JSON.stringify({ type: 'module:request', id: 1, path: 5 })],
    ['a non-boolean deps', JSON.stringify({ type: 'module:request', id: 1, path: '/main.mjs', deps: 'yes' })],
    ['a have with a non-string hash', JSON.stringify({ type: 'module:request', id: 1, path: '/main.mjs', deps: true, have: { '/a.mjs': 1 } })],
    ['a check without hash', JSON.stringify({ type: 'module:check', id: 1, path: '/main.mjs' })],
    ['a manifest that is an array', JSON.stringify({ type: 'manifest:check', id: 1, entries: [] })],
  ])('answers %s with bad-request and keeps serving', async (_name, frame) => {
    const client = await connect();
    await client.hello();
    client.send(frame);
    const error = await client.nextOf('module:error');
    expect(error.code).toBe('bad-request');
    expect(asModule(await client.request('/main.mjs')).header.path).toBe('/main.mjs');
  });

  it('echoes the id of a bad frame when it could be read', async () => {
    const client = await connect();
    client.send({ type: 'module:unknown', id: 42 });
    expect(await client.nextOf('module:error')).toMatchObject({ id: 42, code: 'bad-request' });
  });

  it('answers a binary frame with bad-request and keeps serving', async () => {
    const client = await connect();
    await client.hello();
    client.send(Buffer.from([0, 0, 0, 2, 123, 125]));
    expect((await client.nextOf('module:error')).code).toBe('bad-request');
    expect(asModule(await client.request('/lib/a.mjs')).header.path).toBe('/lib/a.mjs');
  });
});

describe('maxPayload', () => {
  it('closes a socket that sends a larger frame with 1009 and keeps serving other clients', async () => {
    await relay.close();
    relay = await createRelay({ root, port: 0, watch: false, maxPayload: 1024 });
    const bystander = await connect();
    const offender = await connect();
    expect((await offender.hello()).limits.maxPayload).toBe(1024);
    offender.send(JSON.stringify({ type: 'module:request', id: 1, path: `/${'a'.repeat(2000)}.mjs` }));
    expect(await offender.whenClosed()).toBe(1009);
    expect(asModule(await bystander.request('/main.mjs')).header.path).toBe('/main.mjs');
    const newcomer = await connect();
    expect(asModule(await newcomer.request('/main.mjs')).header.path).toBe('/main.mjs');
  });
});

describe('maxInFlight', () => {
  it('answers requests beyond the bound with too-many-requests, and every request exactly once', async () => {
    await relay.close();
    relay = await createRelay({ root, port: 0, watch: false, maxInFlight: 2 });
    const client = await connect();
    await client.hello();
    const ids = Array.from({ length: 100 }, (_, i) => 1000 + i);
    // One synchronous burst: the relay reads these frames before any disk read can finish.
    for (const id of ids) client.send({ type: 'module:request', id, path: '/main.mjs' });
    const answers = await Promise.all(ids.map((id) => client.answer(id)));
    const refused = answers.filter((answer) => answer.kind === 'json');
    const served = answers.filter((answer) => answer.kind === 'module');
    expect(refused.length).toBeGreaterThan(0);
    expect(served.length).toBeGreaterThanOrEqual(2);
    for (const answer of refused) expect(errorCode(answer)).toBe('too-many-requests');
    expect(client.pending()).toEqual([]);
    // Once answered, the slots are free again.
    expect(asModule(await client.request('/main.mjs')).header.path).toBe('/main.mjs');
  });
});

describe('Origin check at the upgrade', () => {
  it.each(['http://evil.example', 'https://attacker.test:8889', 'null', 'http://127.0.0.1:1', 'not a url'])(
    'refuses Origin %s with HTTP 403 before upgrading',
    async (origin) => {
      expect(await TestClient.refusal(relay.url, origin)).toBe(403);
    },
  );

  it('accepts loopback origins of its own port, and clients without Origin', async () => {
    for (const origin of [`http://127.0.0.1:${relay.port}`, `http://localhost:${relay.port}`, undefined]) {
      const client = await connect(origin);
      expect((await client.hello()).type).toBe('hello');
    }
  });

  it('accepts origins from allowOrigins', async () => {
    await relay.close();
    relay = await createRelay({ root, port: 0, watch: false, allowOrigins: ['http://localhost:3000/'] });
    expect((await (await connect('http://localhost:3000')).hello()).type).toBe('hello');
    expect(await TestClient.refusal(relay.url, 'http://localhost:3001')).toBe(403);
  });
});

describe('close', () => {
  it('closes open sockets and frees the port', async () => {
    const client = await connect();
    await client.hello();
    await relay.close();
    await client.whenClosed();
    await expect(TestClient.open(relay.url)).rejects.toThrow();
    relay = await createRelay({ root, port: 0, watch: false });
  });
});
