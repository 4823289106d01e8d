import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRelay, type Relay } from '../../server/index.js';
import { sha256 } from '../support/sha256.js';
import { removeRoot, tempRoot, writeFiles } from '../support/temp.js';
import { asModule, TestClient, type Received } from './helpers.js';

/**
 * app.mjs → ./lib/a.mjs → ./b.mjs → /shared/c.mjs (root-absolute) → ../lib/a.mjs (a cycle)
 *         → 'three' (bare: ignored), import('./lazy.mjs') (dynamic: not pushed)
 *         → export * from './re.mjs' (re-export: static), './lib/b.mjs?v=2#x' (query stripped)
 */
const FILES = {
  'app.mjs': [
    "import { a } from './lib/a.mjs';",
    "import * as THREE from 'three';",
    "export * from './re.mjs';",
    "import './lib/b.mjs?v=2#frag';",
    "const lazy = () => import('./lazy.mjs');",
    'export const app = a;',
  ].join('\n'),
  'lib/a.mjs': "import { b } from './b.mjs';\nexport const a = b + 1;\n",
  'lib/b.mjs': "import { c } from '/shared/c.mjs';\nexport const b = c + 1;\n",
  'shared/c.mjs': "import { a } from '../lib/a.mjs';\nexport const c = 1;\nexport const again = () => a;\n",
  're.mjs': 'export const re = 1;\n',
  'lazy.mjs': "import './never.mjs';\nexport const lazy = 1;\n",
  'never.mjs': 'export const never = 1;\n',
  'partial.mjs': "import './missing.mjs';\nimport './leaf.mjs';\nimport './types.ts';\nimport './leaf.json' with { type: 'json' };\n",
  'leaf.json': '{}',
  'types.ts': 'export type T = 1;\n',
  'broken.mjs': "import './leaf.mjs';\nconst s = `unterminated\n",
  'leaf.mjs': 'export const leaf = 1;\n',
};
const CLOSURE = ['/lib/a.mjs', '/re.mjs', '/lib/b.mjs', '/shared/c.mjs'];

let root: string;
let relay: Relay;
let client: TestClient;

beforeEach(async () => {
  root = await tempRoot(FILES);
  relay = await createRelay({ root, port: 0, watch: false });
  client = await TestClient.open(relay.url);
  await client.hello();
});
afterEach(async () => {
  client.close();
  await relay.close();
  await removeRoot(root);
});

/** Requests with deps and collects the answer plus exactly the pushed frames it announced. */
async function requestWithDeps(path: string, have?: Record<string, string>) {
  const id = Math.floor(Math.random() * 1e9);
  const main = asModule(await client.request(path, { deps: true, ...(have ? { have } : {}) }, id));
  const pushed: { path: string; hash: string; contentType: string; body: Buffer }[] = [];
  for (let i = 0; i < (main.header.push ?? []).length; i++) {
    const frame = asModule(await client.next((item: Received) => item.kind === 'module' && item.header.id === undefined));
    pushed.push({ path: frame.header.path, hash: frame.header.hash, contentType: frame.header.contentType, body: frame.body });
  }
  return { main, pushed };
}

/** Proves nothing else was sent: a round trip after the burst must be the next frame. */
async function expectNothingMore() {
  client.send({ type: 'module:check', id: 999_999, path: '/leaf.mjs', hash: 'x' });
  const next = await client.next();
  expect(next.kind === 'json' && next.message.type).toBe('module:status');
}

describe('module:request with deps', () => {
  it('sends the requested module first, announcing then pushing the whole static closure', async () => {
    const { main, pushed } = await requestWithDeps('/app.mjs');
    expect(main.header.path).toBe('/app.mjs');
    expect(main.header.push).toEqual(CLOSURE);
    expect(pushed.map((module) => module.path)).toEqual(CLOSURE);
    for (const module of pushed) {
      const onDisk = await readFile(join(root, module.path));
      expect(Buffer.compare(module.body, onDisk)).toBe(0);
      expect(module.hash).toBe(sha256(onDisk));
    }
    await expectNothingMore();
  });

  it('pushes nothing the client already holds, and everything it lacks', async () => {
    const have = {
      '/lib/a.mjs': sha256(FILES['lib/a.mjs']),
      '/shared/c.mjs': sha256(FILES['shared/c.mjs']),
      '/re.mjs': sha256('an old version of re.mjs'),
    };
    const { main, pushed } = await requestWithDeps('/app.mjs', have);
    expect(main.header.push).toEqual(['/re.mjs', '/lib/b.mjs']);
    expect(pushed.map((module) => module.path)).toEqual(['/re.mjs', '/lib/b.mjs']);
    await expectNothingMore();
  });

  it('always sends the requested module, even when the client holds it', async () => {
    const { main, pushed } = await requestWithDeps('/leaf.mjs', { '/leaf.mjs': sha256(FILES['leaf.mjs']) });
    expect(main.header.path).toBe('/leaf.mjs');
    expect(main.header.push).toEqual([]);
    expect(pushed).toEqual([]);
    await expectNothingMore();
  });

  it('pushes nothing when the client holds the whole closure', async () => {
    const have = Object.fromEntries(CLOSURE.map((path) => [path, sha256(FILES[path.slice(1) as keyof typeof FILES])]));
    const { main } = await requestWithDeps('/app.mjs', have);
    expect(main.header.push).toEqual([]);
    await expectNothingMore();
  });

  it('follows cycles once and ends', async () => {
    const { main } = await requestWithDeps('/shared/c.mjs');
    expect(main.header.push).toEqual(['/lib/a.mjs', '/lib/b.mjs']);
    await expectNothingMore();
  });

  it('skips dependencies that cannot be served (missing, types not served) and lists only what follows, JSON modules included', async () => {
    const { main, pushed } = await requestWithDeps('/partial.mjs');
    expect(main.header.push).toEqual(['/leaf.mjs', '/leaf.json']);
    expect(pushed.map((module) => module.path)).toEqual(['/leaf.mjs', '/leaf.json']);
    expect(pushed[1]!.contentType).toBe('application/json; charset=utf-8');
    await expectNothingMore();
  });

  it('still serves a module the lexer cannot read, pushing nothing (the browser reports the syntax error)', async () => {
    const { main } = await requestWithDeps('/broken.mjs');
    expect(main.body.toString()).toBe(FILES['broken.mjs']);
    expect(main.header.push).toEqual([]);
    await expectNothingMore();
  });

  it('never pushes a module twice on one connection, but pushes it again once it changed', async () => {
    await requestWithDeps('/app.mjs');
    // Its closure (/lib/b.mjs, /shared/c.mjs) went out with /app.mjs's burst.
    const again = await requestWithDeps('/lib/a.mjs');
    expect(again.main.body.toString()).toBe(FILES['lib/a.mjs']);
    expect(again.main.header.push).toEqual([]);
    await writeFile(join(root, 'lib', 'b.mjs'), `${FILES['lib/b.mjs']}// edited\n`);
    const afterEdit = await requestWithDeps('/lib/a.mjs');
    expect(afterEdit.main.header.push).toEqual(['/lib/b.mjs']);
    expect(afterEdit.pushed[0]?.body.toString()).toBe(`${FILES['lib/b.mjs']}// edited\n`);
    await expectNothingMore();
  });

  it('counts an explicitly requested module as sent', async () => {
    asModule(await client.request('/lib/b.mjs'));
    const { main } = await requestWithDeps('/lib/a.mjs');
    expect(main.header.push).toEqual(['/shared/c.mjs']);
    await expectNothingMore();
  });

  it('pushes again on a new connection', async () => {
    await requestWithDeps('/app.mjs');
    client.close();
    client = await TestClient.open(relay.url);
    await client.hello();
    const { main } = await requestWithDeps('/app.mjs');
    expect(main.header.push).toEqual(CLOSURE);
  });

  it('caps a pushed closure at 5,000 modules', async () => {
    const files: Record<string, string> = {};
    const imports: string[] = [];
    for (let i = 0; i < 5_050; i++) {
      files[`many/m${i}.mjs`] = `export const m${i} = ${i};\n`;
      imports.push(`import './many/m${i}.mjs';`);
    }
    files['fan.mjs'] = imports.join('\n');
    await writeFiles(root, files);
    const { main, pushed } = await requestWithDeps('/fan.mjs');
    expect(main.header.push).toHaveLength(5_000);
    expect(pushed).toHaveLength(5_000);
    await expectNothingMore();
  });

  it('without deps sends only the module and no push list', async () => {
    const answer = asModule(await client.request('/app.mjs'));
    expect(answer.header.push).toBeUndefined();
    await expectNothingMore();
  });
});
