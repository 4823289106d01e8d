import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRelay, type Relay } from '../../server/index.js';
import type { ModuleRemoved, ModuleUpdated } from '../../protocol/wire.js';
import { sha256 } from '../support/sha256.js';
import { removeRoot, tempRoot } from '../support/temp.js';
import { asModule, TestClient } from './helpers.js';

let root: string;
let relay: Relay;
let client: TestClient;
let sentinelCount = 0;

beforeEach(async () => {
  root = await tempRoot({
    'a.mjs': 'export const a = 1;\n',
    'lib/x.mjs': 'export const x = 1;\n',
    'lib/deep/y.mjs': 'export const y = 1;\n',
    'sentinel.mjs': 'export const s = 0;\n',
  });
  relay = await createRelay({ root, port: 0 });
  client = await TestClient.open(relay.url);
  await client.hello();
});
afterEach(async () => {
  client.close();
  await relay.close();
  await removeRoot(root);
});

/**
 * Changes sentinel.mjs and waits for its own broadcast, then returns every broadcast received
 * before it. Broadcasts go out in order, so this proves what was NOT sent without sleeping.
 */
async function broadcastsUntilSentinel(): Promise<(ModuleUpdated | ModuleRemoved)[]> {
  sentinelCount += 1;
  const content = `export const s = ${sentinelCount};\n`;
  await writeFile(join(root, 'sentinel.mjs'), content);
  const before: (ModuleUpdated | ModuleRemoved)[] = [];
  for (;;) {
    const item = await client.next((received) => received.kind === 'json' && (received.message.type === 'module:updated' || received.message.type === 'module:removed'));
    const message = (item as { message: ModuleUpdated | ModuleRemoved }).message;
    if (message.type === 'module:removed') {
      before.push(message);
      continue;
    }
    // writeFile truncates before it writes: a flush that reads the sentinel in between
    // announces it empty first. That is the sentinel's own save, not a stray broadcast.
    const others = message.modules.filter((module) => module.path !== '/sentinel.mjs');
    if (others.length > 0) before.push({ type: 'module:updated', modules: others });
    if (message.modules.some((module) => module.path === '/sentinel.mjs' && module.hash === sha256(content))) return before;
  }
}

describe('watcher broadcasts', () => {
  it('reports a write with the new hash', async () => {
    const content = 'export const a = 2;\n';
    await writeFile(join(root, 'a.mjs'), content);
    expect(await client.nextOf('module:updated')).toEqual({ type: 'module:updated', modules: [{ path: '/a.mjs', hash: sha256(content) }] });
  });

  it('reports a new file', async () => {
    const content = 'export const fresh = 1;\n';
    await writeFile(join(root, 'lib', 'fresh.mjs'), content);
    expect((await client.nextOf('module:updated')).modules).toEqual([{ path: '/lib/fresh.mjs', hash: sha256(content) }]);
  });

  it('reports write-temp-then-rename-over as one update of the target', async () => {
    const content = 'export const a = "renamed over";\n';
    await writeFile(join(root, 'a.mjs.tmp-123'), content);
    await rename(join(root, 'a.mjs.tmp-123'), join(root, 'a.mjs'));
    const updated = await client.nextOf('module:updated');
    expect(updated.modules).toEqual([{ path: '/a.mjs', hash: sha256(content) }]);
    expect(await broadcastsUntilSentinel()).toEqual([]);
  });

  it('reports a delete as module:removed', async () => {
    await rm(join(root, 'a.mjs'));
    expect(await client.nextOf('module:removed')).toEqual({ type: 'module:removed', paths: ['/a.mjs'] });
  });

  it('coalesces a burst of writes into at most two broadcasts (the quick first flush, then the rest), the last carrying the final hash', async () => {
    // A wide window, so a loaded machine delivering the events slowly still sees one burst.
    await relay.close();
    relay = await createRelay({ root, port: 0, debounceMs: 250 });
    client.close();
    client = await TestClient.open(relay.url);
    await client.hello();
    const file = join(root, 'a.mjs');
    // Synchronous writes: the whole burst lands before the relay hears of any of it.
    for (let i = 0; i < 5; i++) writeFileSync(file, `export const a = ${100 + i};\n`);
    writeFileSync(join(root, 'lib', 'x.mjs'), 'export const x = 2;\n');
    const broadcasts = await broadcastsUntilSentinel();
    expect(broadcasts.length).toBeGreaterThan(0);
    expect(broadcasts.length).toBeLessThanOrEqual(2);
    const last = new Map<string, string>();
    for (const message of broadcasts) {
      expect(message.type).toBe('module:updated');
      if (message.type === 'module:updated') for (const { path, hash } of message.modules) last.set(path, hash);
    }
    expect(Object.fromEntries(last)).toEqual({
      '/a.mjs': sha256('export const a = 104;\n'),
      '/lib/x.mjs': sha256('export const x = 2;\n'),
    });
  });

  it('announces a second save made soon after the first', async () => {
    const file = join(root, 'a.mjs');
    await writeFile(file, 'export const a = "first";\n');
    expect((await client.nextOf('module:updated')).modules).toEqual([{ path: '/a.mjs', hash: sha256('export const a = "first";\n') }]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await writeFile(file, 'export const a = "second";\n');
    expect((await client.nextOf('module:updated')).modules).toEqual([{ path: '/a.mjs', hash: sha256('export const a = "second";\n') }]);
  });

  it('reports an editor backup-then-write save as one update, not a removal', async () => {
    const file = join(root, 'a.mjs');
    await rename(file, `${file}~`);
    await writeFile(file, 'export const a = "vim";\n');
    await rm(`${file}~`);
    const broadcasts = await broadcastsUntilSentinel();
    expect(broadcasts).toEqual([{ type: 'module:updated', modules: [{ path: '/a.mjs', hash: sha256('export const a = "vim";\n') }] }]);
  });

  it('says nothing for a save with the same content', async () => {
    // The relay must know the current hash: a request (or an earlier event) makes it read the file.
    asModule(await client.request('/a.mjs'));
    await writeFile(join(root, 'a.mjs'), 'export const a = 1;\n');
    expect(await broadcastsUntilSentinel()).toEqual([]);
  });

  it('ignores dotfiles, dot-folders, node_modules and files of other types', async () => {
    await mkdir(join(root, '.cache'));
    await mkdir(join(root, 'node_modules', 'pkg'), { recursive: true });
    await writeFile(join(root, '.hidden.mjs'), 'export {};\n');
    await writeFile(join(root, '.cache', 'c.mjs'), 'export {};\n');
    await writeFile(join(root, 'node_modules', 'pkg', 'index.js'), 'export {};\n');
    await writeFile(join(root, 'notes.ts'), 'text');
    expect(await broadcastsUntilSentinel()).toEqual([]);
  });

  it('reports the modules under a removed folder as removed', async () => {
    asModule(await client.request('/lib/x.mjs'));
    await rm(join(root, 'lib'), { recursive: true });
    // The quick first flush may take the first file's event alone and the rest a debounce later.
    const removed: string[] = [];
    for (let i = 0; i < 4 && removed.length < 2; i++) removed.push(...(await client.nextOf('module:removed')).paths);
    expect(removed.sort()).toEqual(['/lib/deep/y.mjs', '/lib/x.mjs']);
    expect(await broadcastsUntilSentinel()).toEqual([]);
  });

  it('reports a renamed folder as removals of the old paths and updates of the new ones', async () => {
    asModule(await client.request('/lib/x.mjs'));
    asModule(await client.request('/lib/deep/y.mjs'));
    await rename(join(root, 'lib'), join(root, 'lib2'));
    const removed: string[] = [];
    const updated: string[] = [];
    // Bounded: the four paths arrive in at most a few batches.
    for (let i = 0; i < 8 && (removed.length < 2 || updated.length < 2); i++) {
      const item = await client.next((received) => received.kind === 'json' && (received.message.type === 'module:updated' || received.message.type === 'module:removed'));
      const message = (item as { message: ModuleUpdated | ModuleRemoved }).message;
      if (message.type === 'module:removed') removed.push(...message.paths);
      else updated.push(...message.modules.map((module) => module.path));
    }
    expect(removed.sort()).toEqual(['/lib/deep/y.mjs', '/lib/x.mjs']);
    expect(updated.sort()).toEqual(['/lib2/deep/y.mjs', '/lib2/x.mjs']);
  });

  it('reports files in a folder tree made while watched, and later saves inside it', async () => {
    // Made in one go: the new folders' files are written before the watch can have seen the folders.
    await mkdir(join(root, 'made', 'deeper'), { recursive: true });
    await writeFile(join(root, 'made', 'deeper', 'z.mjs'), 'export const z = 1;\n');
    const seen = new Map<string, string>();
    for (let i = 0; i < 4 && !seen.has('/made/deeper/z.mjs'); i++) {
      for (const module of (await client.nextOf('module:updated')).modules) seen.set(module.path, module.hash);
    }
    expect(seen.get('/made/deeper/z.mjs')).toBe(sha256('export const z = 1;\n'));
    // The new folder is watched: a later save in it is an event of its own.
    await writeFile(join(root, 'made', 'deeper', 'z.mjs'), 'export const z = 2;\n');
    expect((await client.nextOf('module:updated')).modules).toEqual([{ path: '/made/deeper/z.mjs', hash: sha256('export const z = 2;\n') }]);
  });

  it('does not follow a symlinked folder: a change behind it is not announced', async () => {
    const outside = await tempRoot({ 'o.mjs': 'export const o = 1;\n' });
    try {
      await symlink(outside, join(root, 'linked'));
      await writeFile(join(outside, 'o.mjs'), 'export const o = 2;\n');
      expect(await broadcastsUntilSentinel()).toEqual([]);
    } finally {
      await removeRoot(outside);
    }
  });

  it('broadcasts to every connected client', async () => {
    const other = await TestClient.open(relay.url);
    try {
      await other.hello();
      const content = 'export const a = "both";\n';
      await writeFile(join(root, 'a.mjs'), content);
      const expected = { type: 'module:updated', modules: [{ path: '/a.mjs', hash: sha256(content) }] };
      expect(await client.nextOf('module:updated')).toEqual(expected);
      expect(await other.nextOf('module:updated')).toEqual(expected);
    } finally {
      other.close();
    }
  });

  it('serves the new bytes right after the broadcast', async () => {
    asModule(await client.request('/a.mjs'));
    const content = 'export const a = "fresh";\n';
    await writeFile(join(root, 'a.mjs'), content);
    await client.nextOf('module:updated');
    const answer = asModule(await client.request('/a.mjs'));
    expect(answer.body.toString()).toBe(content);
  });
});

describe('a request racing the watcher', () => {
  it('still announces a save whose new bytes another client read before the watcher flushed', async () => {
    asModule(await client.request('/a.mjs')); // this client now holds the old version
    const other = await TestClient.open(relay.url);
    try {
      await other.hello();
      const content = 'export const a = "raced";\n';
      writeFileSync(join(root, 'a.mjs'), content);
      // Sent in the same tick as the write, so it reads the new bytes before the watcher's
      // flush (the watch's event plus a 3 ms window): the cache then already holds them.
      const raced = asModule(await other.request('/a.mjs'));
      expect(raced.body.toString()).toBe(content);
      expect(await client.nextOf('module:updated')).toEqual({ type: 'module:updated', modules: [{ path: '/a.mjs', hash: sha256(content) }] });
    } finally {
      other.close();
    }
  });
});

describe('watch: false', () => {
  it('broadcasts nothing but still serves the current file', async () => {
    await relay.close();
    relay = await createRelay({ root, port: 0, watch: false });
    client.close();
    client = await TestClient.open(relay.url);
    await client.hello();
    asModule(await client.request('/a.mjs'));
    const content = 'export const a = "unwatched, longer";\n';
    await writeFile(join(root, 'a.mjs'), content);
    expect(asModule(await client.request('/a.mjs')).body.toString()).toBe(content);
    expect(client.pending()).toEqual([]);
  });
});
