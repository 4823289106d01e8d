import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { realpath, rename, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModuleStore } from '../../server/module-store.js';
import { createRelay, type Relay } from '../../server/index.js';
import { asModule, removeRoot, sha256, tempRoot, TestClient } from './helpers.js';

const V1 = 'export const version = 1;\n';
const V2 = 'export const version = 2;\n'; // same length as V1
const FIXED_TIME = new Date('2026-01-01T00:00:00Z');

let root: string;
beforeEach(async () => {
  root = await tempRoot({ 'm.mjs': V1 });
  // A whole-second mtime can be written back exactly with utimes.
  await utimes(join(root, 'm.mjs'), FIXED_TIME, FIXED_TIME);
});
afterEach(() => removeRoot(root));

describe('ModuleStore.load', () => {
  it('reads and hashes a file once while it is unchanged', async () => {
    const store = new ModuleStore(await realpath(root), ['.mjs'], 1 << 20);
    for (let i = 0; i < 5; i++) {
      const outcome = await store.load('/m.mjs');
      expect(outcome.ok && outcome.module.hash).toBe(sha256(V1));
    }
    expect(store.reads).toBe(1);
  });

  it('reads concurrent loads of one changed file once', async () => {
    const store = new ModuleStore(await realpath(root), ['.mjs'], 1 << 20);
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => store.load('/m.mjs')));
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    expect(store.reads).toBe(1);
  });

  it('reads again when the size or mtime changes, or the file is replaced by a rename', async () => {
    const store = new ModuleStore(await realpath(root), ['.mjs'], 1 << 20);
    await store.load('/m.mjs');
    await writeFile(join(root, 'm.mjs'), `${V2}// longer\n`);
    expect(await hashOf(store)).toBe(sha256(`${V2}// longer\n`));
    await writeFile(join(root, 'tmp.txt'), V1);
    await utimes(join(root, 'tmp.txt'), FIXED_TIME, FIXED_TIME);
    // Same size and mtime as an earlier version, but a new inode: still re-read.
    await rename(join(root, 'tmp.txt'), join(root, 'm.mjs'));
    expect(await hashOf(store)).toBe(sha256(V1));
    expect(store.reads).toBe(3);
  });

  it('re-reads after invalidate even when the stat looks the same', async () => {
    const store = new ModuleStore(await realpath(root), ['.mjs'], 1 << 20);
    await store.load('/m.mjs');
    await rewriteKeepingStat(join(root, 'm.mjs'), V2);
    expect(await hashOf(store)).toBe(sha256(V1));
    store.invalidate('/m.mjs');
    expect(await hashOf(store)).toBe(sha256(V2));
    expect(store.reads).toBe(2);
  });
});

describe('hashing once per change, observed over the wire', () => {
  let relay: Relay;
  afterEach(() => relay.close());

  it('keeps serving the cached bytes while (mtime, size, inode) are unchanged, so it did not re-read', async () => {
    relay = await createRelay({ root, port: 0, watch: false });
    const client = await TestClient.open(relay.url);
    try {
      expect(asModule(await client.request('/m.mjs')).body.toString()).toBe(V1);
      // Same bytes count, mtime written back: only a re-read could see V2.
      await rewriteKeepingStat(join(root, 'm.mjs'), V2);
      const cached = asModule(await client.request('/m.mjs'));
      expect(cached.body.toString()).toBe(V1);
      expect(cached.header.hash).toBe(sha256(V1));
      // Any real stat change is seen on the next request, watcher or not.
      await utimes(join(root, 'm.mjs'), FIXED_TIME, new Date(FIXED_TIME.getTime() + 1000));
      const fresh = asModule(await client.request('/m.mjs'));
      expect(fresh.body.toString()).toBe(V2);
      expect(fresh.header.hash).toBe(sha256(V2));
    } finally {
      client.close();
    }
  });

  it('with the watcher on, a save that keeps the stat is still seen: the event invalidates and re-hashes', async () => {
    relay = await createRelay({ root, port: 0 });
    const client = await TestClient.open(relay.url);
    try {
      expect(asModule(await client.request('/m.mjs')).body.toString()).toBe(V1);
      await rewriteKeepingStat(join(root, 'm.mjs'), V2);
      const updated = await client.nextOf('module:updated');
      expect(updated.modules).toEqual([{ path: '/m.mjs', hash: sha256(V2) }]);
      expect(asModule(await client.request('/m.mjs')).body.toString()).toBe(V2);
    } finally {
      client.close();
    }
  });
});

async function hashOf(store: ModuleStore): Promise<string | false> {
  const outcome = await store.load('/m.mjs');
  return outcome.ok && outcome.module.hash;
}

/** Writes same-length content in place and restores the mtime: (mtime, size, inode) unchanged. */
async function rewriteKeepingStat(file: string, content: string): Promise<void> {
  const before = await stat(file);
  await writeFile(file, content);
  await utimes(file, before.atime, before.mtime);
  const after = await stat(file);
  expect([after.mtimeMs, after.size, after.ino]).toEqual([before.mtimeMs, before.size, before.ino]);
}
