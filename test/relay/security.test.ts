import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdir, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRelay, type Relay } from '../../server/index.js';
import { asyncCalls, syncCalls } from '../../server/files/file-calls.js';
import { FileStore } from '../../server/files/file-store.js';
import { RELAY_DEFAULTS } from '../../server/config/options.js';
import { removeRoot, tempRoot } from '../support/temp.js';
import { asModule, errorCode, TestClient } from './helpers.js';

/**
 * Every path rule of server/files/paths.ts, attacked over a real socket. Each attack must be refused
 * with the right code, and the SAME connection must then still serve a valid request.
 * The secret outside the root exists, so a relay that followed the attack would serve it.
 */
let outside: string;
let root: string;
let relay: Relay;
let client: TestClient;
const SECRET = 'export const secret = "outside the root";\n';

beforeAll(async () => {
  outside = await tempRoot({ 'secret.mjs': SECRET, 'secret.txt': 'secret' });
  root = await tempRoot({
    'ok.mjs': 'export const ok = true;\n',
    'lib/a.mjs': 'export const a = 1;\n',
    '.hidden.mjs': 'export const hidden = true;\n',
    '.git/hooks.mjs': 'export const git = true;\n',
    'lib/.cache/x.mjs': 'export const cached = true;\n',
    'notes.ts': 'not a module',
    'README': 'no extension',
    'big.mjs': `export const big = "${'x'.repeat(4000)}";\n`,
  });
  await symlink(join(outside, 'secret.mjs'), join(root, 'link-out.mjs'));
  await symlink(outside, join(root, 'dir-out'));
  await symlink(join(root, '.hidden.mjs'), join(root, 'link-to-dotfile.mjs'));
  await symlink(join(root, 'notes.ts'), join(root, 'link-to-text.mjs'));
  await symlink('/dev/zero', join(root, 'zero.mjs'));
  await symlink(join(root, 'loop-b.mjs'), join(root, 'loop-a.mjs'));
  await symlink(join(root, 'loop-a.mjs'), join(root, 'loop-b.mjs'));
  await mkdir(join(root, 'folder.mjs'));
  execFileSync('mkfifo', [join(root, 'pipe.mjs')]);
  await writeFile(join(root, 'lib', 'index.mjs'), "import '../ok.mjs';\n");
  relay = await createRelay({ root, port: 0, watch: false, maxFileSize: 1000 });
  client = await TestClient.open(relay.url);
  await client.hello();
});

afterAll(async () => {
  client.close();
  await relay.close();
  await removeRoot(root);
  await removeRoot(outside);
});

const attacks: [rule: string, path: unknown, code: string][] = [
  ['parent segment', '/../secret.mjs', 'forbidden'],
  ['parent segment deeper', '/lib/../../secret.mjs', 'forbidden'],
  ['parent segment that stays inside', '/lib/../ok.mjs', 'forbidden'],
  ['dot segment', '/./ok.mjs', 'forbidden'],
  ['trailing dot segment', '/lib/.', 'forbidden'],
  ['relative path', 'ok.mjs', 'forbidden'],
  ['relative parent path', '../secret.mjs', 'forbidden'],
  ['protocol-relative path', '//evil.example/x.mjs', 'forbidden'],
  ['double slash inside', '/lib//a.mjs', 'forbidden'],
  ['trailing slash', '/lib/', 'forbidden'],
  ['NUL byte', '/ok.mjs\u0000.txt', 'forbidden'],
  ['control character', '/ok\u0007.mjs', 'forbidden'],
  ['backslash', '/lib\\..\\..\\secret.mjs', 'forbidden'],
  ['backslash alone', '\\ok.mjs', 'forbidden'],
  ['percent-encoded dots', '/%2e%2e/secret.mjs', 'forbidden'],
  ['percent-encoded slash', '/lib%2fa.mjs', 'forbidden'],
  ['double-encoded dots', '/%252e%252e/secret.mjs', 'forbidden'],
  ['percent-encoded NUL', '/ok.mjs%00', 'forbidden'],
  ['dotfile', '/.hidden.mjs', 'forbidden'],
  ['dot-folder', '/.git/hooks.mjs', 'forbidden'],
  ['nested dot-folder', '/lib/.cache/x.mjs', 'forbidden'],
  ['symlink to a file outside the root', '/link-out.mjs', 'forbidden'],
  ['symlinked folder outside the root', '/dir-out/secret.mjs', 'forbidden'],
  ['symlink to a dotfile inside the root', '/link-to-dotfile.mjs', 'forbidden'],
  ['symlink to a device', '/zero.mjs', 'forbidden'],
  ['symlink loop', '/loop-a.mjs', 'forbidden'],
  ['symlink to a file of another type', '/link-to-text.mjs', 'unsupported-type'],
  ['disallowed extension', '/notes.ts', 'unsupported-type'],
  ['no extension', '/README', 'unsupported-type'],
  ['the absolute path of a file outside, taken as root-relative', '<outside>/secret.mjs', 'not-found'],
  ['a folder named like a module', '/folder.mjs', 'forbidden'],
  ['a FIFO', '/pipe.mjs', 'forbidden'],
  ['a file over the size cap', '/big.mjs', 'too-large'],
  ['an over-long path', `/${'a/'.repeat(3000)}x.mjs`, 'forbidden'],
  ['an empty path', '', 'bad-request'],
  ['a non-string path', ['/ok.mjs'], 'bad-request'],
];

describe('module:request path rules', () => {
  it.each(attacks)('refuses %s (%j) with %s, then serves a valid request on the same connection', async (_rule, path, code) => {
    const answer = await client.request(typeof path === 'string' ? path.replace('<outside>', outside) : path);
    expect(errorCode(answer)).toBe(code);
    if (answer.kind === 'json' && answer.message.type === 'module:error') expect(answer.message.message.length).toBeGreaterThan(10);
    const ok = asModule(await client.request('/ok.mjs'));
    expect(ok.body.toString()).toBe('export const ok = true;\n');
  });

  it('serves a symlink that stays inside the root and obeys the rules', async () => {
    await symlink(join(root, 'lib', 'a.mjs'), join(root, 'alias.mjs'));
    const answer = asModule(await client.request('/alias.mjs'));
    expect(answer.body.toString()).toBe('export const a = 1;\n');
  });
});

describe("the watcher's blocking reads (server/files/file-calls.ts syncCalls)", () => {
  const pathAttacks = attacks.filter((attack): attack is [string, string, string] => typeof attack[1] === 'string' && attack[1].startsWith('/'));

  it.each(pathAttacks)('refuse %s (%j) with %s, as the promise API does', async (_rule, path, code) => {
    const store = new FileStore(await realpath(root), RELAY_DEFAULTS.extensions, 1000);
    const now = await store.load(path, syncCalls);
    expect(now.ok ? 'served' : now.code).toBe(code);
    const later = await store.load(path, asyncCalls);
    expect(later.ok ? 'served' : later.code).toBe(code);
  });

  it('read a file without yielding to the event loop (the promise API yields)', async () => {
    const store = new FileStore(await realpath(root), RELAY_DEFAULTS.extensions, 1000);
    const yielded = async (calls: typeof syncCalls) => {
      let ran = false;
      setImmediate(() => (ran = true));
      const outcome = await store.load('/lib/a.mjs', calls);
      store.invalidate('/lib/a.mjs');
      expect(outcome.ok && Buffer.from(outcome.file.bytes).toString()).toBe('export const a = 1;\n');
      return ran;
    };
    expect(await yielded(syncCalls)).toBe(false);
    expect(await yielded(asyncCalls)).toBe(true);
  });
});

describe('a cached module swapped on disk', () => {
  it.each([
    ['a symlink out of the root', (file: string) => symlink(join(outside, 'secret.mjs'), file), 'forbidden'],
    ['a symlink to a dotfile', (file: string) => symlink(join(root, '.hidden.mjs'), file), 'forbidden'],
    ['a FIFO', async (file: string) => void execFileSync('mkfifo', [file]), 'forbidden'],
  ])('is refused once replaced by %s', async (_name, replace, code) => {
    const file = join(root, 'swap.mjs');
    await writeFile(file, 'export const swap = 1;\n');
    expect(asModule(await client.request('/swap.mjs')).body.toString()).toBe('export const swap = 1;\n');
    await rm(file);
    await replace(file);
    expect(errorCode(await client.request('/swap.mjs'))).toBe(code);
    await rm(file);
  });
});

describe('module:check and manifest:check path rules', () => {
  it('report refused paths as gone / removed, never with a hash', async () => {
    client.send({ type: 'module:check', id: 77, path: '/link-out.mjs', hash: 'x' });
    expect(await client.answer(77)).toMatchObject({ message: { type: 'module:status', status: 'gone' } });
    const entries = Object.fromEntries(
      attacks
        .filter(([, path]) => typeof path === 'string' && path !== '')
        .map(([, path]) => [(path as string).replace('<outside>', outside), 'x']),
    );
    client.send({ type: 'manifest:check', id: 78, entries });
    const status = await client.nextOf('manifest:status');
    expect(status.changed).toEqual({});
    expect(status.removed.sort()).toEqual(Object.keys(entries).sort());
  });
});

describe('graph push path rules', () => {
  it('never pushes a dependency that is refused', async () => {
    await writeFile(
      join(root, 'evil-graph.mjs'),
      "import './link-out.mjs';\nimport './.hidden.mjs';\nimport '../secret.mjs';\nimport './notes.ts';\nimport './ok.mjs';\n",
    );
    // A fresh connection: this one already holds /ok.mjs, and a push never repeats a module.
    const fresh = await TestClient.open(relay.url);
    try {
      const answer = asModule(await fresh.request('/evil-graph.mjs', { deps: true }, 500));
      expect(answer.header.push).toEqual(['/ok.mjs']);
      const pushed = asModule(await fresh.next((item) => item.kind === 'module' && item.header.id === undefined));
      expect(pushed.header.path).toBe('/ok.mjs');
    } finally {
      fresh.close();
    }
  });
});
