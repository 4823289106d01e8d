import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { realpath, rename, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileStore } from '../../server/files/file-store.js';
import { pushFrame } from '../../server/relay/frame-cache.js';
import { decodeModuleFrame } from '../../protocol/frame-codec.js';
import { createRelay, type Relay } from '../../server/index.js';
import { sha256 } from '../support/sha256.js';
import { removeRoot, tempRoot } from '../support/temp.js';
import { asModule, TestClient } from './helpers.js';

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

describe('FileStore.load', () => {
  it('reads and hashes a file once while it is unchanged', async () => {
    const store = new FileStore(await realpath(root), ['.mjs'], 1 << 20);
    for (let i = 0; i < 5; i++) {
      const outcome = await store.load('/m.mjs');
      expect(outcome.ok && outcome.file.hash).toBe(sha256(V1));
    }
    expect(store.reads).toBe(1);
  });

  it('reads concurrent loads of one changed file once', async () => {
    const store = new FileStore(await realpath(root), ['.mjs'], 1 << 20);
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => store.load('/m.mjs')));
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    expect(store.reads).toBe(1);
  });

  it('reads again when the size or mtime changes, or the file is replaced by a rename', async () => {
    const store = new FileStore(await realpath(root), ['.mjs'], 1 << 20);
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
    const store = new FileStore(await realpath(root), ['.mjs'], 1 << 20);
    await store.load('/m.mjs');
    await rewriteKeepingStat(join(root, 'm.mjs'), V2);
    expect(await hashOf(store)).toBe(sha256(V1));
    store.invalidate('/m.mjs');
    expect(await hashOf(store)).toBe(sha256(V2));
    expect(store.reads).toBe(2);
  });
});

describe('FileStore memory', () => {
  it('keeps at most maxCachedBytes, forgetting the least recently used module, and reads it again when asked', async () => {
    const real = await realpath(root);
    const size = Buffer.byteLength(V1);
    for (const name of ['a', 'b', 'c']) await writeFile(join(root, `${name}.mjs`), V1);
    // Room for two modules.
    const store = new FileStore(real, ['.mjs'], 1 << 20, 2 * size);
    await store.load('/a.mjs');
    await store.load('/b.mjs');
    await store.load('/a.mjs'); // a is now the most recently used
    await store.load('/c.mjs'); // evicts b
    expect(store.bytes).toBe(2 * size);
    expect(store.peekHash('/b.mjs')).toBeUndefined();
    expect(store.peekHash('/a.mjs')).toBe(sha256(V1));
    expect(store.reads).toBe(3);
    const again = await store.load('/b.mjs');
    expect(again.ok && again.file.hash).toBe(sha256(V1));
    expect(store.reads).toBe(4);
    expect(store.bytes).toBe(2 * size);
  });

  it('still serves a module larger than the cap on its own', async () => {
    const store = new FileStore(await realpath(root), ['.mjs'], 1 << 20, 4);
    expect(await hashOf(store)).toBe(sha256(V1));
    expect(store.bytes).toBe(Buffer.byteLength(V1));
  });
});

describe('FileStore overlapping loads', () => {
  it('shares one load among overlapping callers, but a load after invalidate sees the new file', async () => {
    const store = new FileStore(await realpath(root), ['.mjs'], 1 << 20);
    const first = store.load('/m.mjs');
    expect(store.load('/m.mjs')).toBe(first);
    await rewriteKeepingStat(join(root, 'm.mjs'), V2);
    store.invalidate('/m.mjs');
    const after = store.load('/m.mjs');
    expect(after).not.toBe(first);
    const outcome = await after;
    expect(outcome.ok && outcome.file.hash).toBe(sha256(V2));
    await first;
  });
});

describe('pushed module frames', () => {
  it('are encoded once per module version and shared; a new version gets its own frame', async () => {
    const store = new FileStore(await realpath(root), ['.mjs'], 1 << 20);
    const v1 = await store.load('/m.mjs');
    if (!v1.ok) throw new Error(v1.message);
    expect(pushFrame(v1.file)).toBe(pushFrame(v1.file));
    await writeFile(join(root, 'm.mjs'), `${V2}// longer\n`);
    const v2 = await store.load('/m.mjs');
    if (!v2.ok) throw new Error(v2.message);
    expect(pushFrame(v2.file)).not.toBe(pushFrame(v1.file));
    // The body fragment is the store's own buffer: no copy per push.
    expect(pushFrame(v2.file).shared).toBe(v2.file.bytes);
    const decoded = decodeModuleFrame(Buffer.concat([pushFrame(v2.file).head, pushFrame(v2.file).shared]));
    expect(decoded?.header).toEqual({
      type: 'module:response', path: '/m.mjs', hash: sha256(`${V2}// longer\n`), contentType: 'text/javascript; charset=utf-8',
      size: Buffer.byteLength(`${V2}// longer\n`),
    });
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

async function hashOf(store: FileStore): Promise<string | false> {
  const outcome = await store.load('/m.mjs');
  return outcome.ok && outcome.file.hash;
}

/** Writes same-length content in place and restores the mtime: (mtime, size, inode) unchanged. */
async function rewriteKeepingStat(file: string, content: string): Promise<void> {
  const before = await stat(file);
  await writeFile(file, content);
  await utimes(file, before.atime, before.mtime);
  const after = await stat(file);
  expect([after.mtimeMs, after.size, after.ino]).toEqual([before.mtimeMs, before.size, before.ino]);
}
