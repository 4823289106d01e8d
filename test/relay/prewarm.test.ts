import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startRelay } from '../../server/http/relay-server.js';
import { resolveRelayOptions } from '../../server/config/options.js';
import { removeRoot, tempRoot } from '../support/temp.js';
import { asModule, TestClient } from './helpers.js';

const V1 = 'export const version = 1;\n';
const V2 = 'export const version = 2;\n'; // same length as V1
/** A whole-second mtime, so utimes can write it back exactly. */
const FIXED_TIME = new Date('2026-01-01T00:00:00Z');
const FILES = ['a.mjs', 'deep/er/b.js', 'node_modules/pkg/c.mjs'];

/**
 * Whether a module was read ahead is observable over the wire: rewrite it in place keeping
 * (mtime, size, inode), and only a copy read before the rewrite still says V1.
 */
async function rewriteKeepingStat(file: string, content: string): Promise<void> {
  const before = await stat(file);
  await writeFile(file, content);
  await utimes(file, FIXED_TIME, FIXED_TIME);
  const after = await stat(file);
  expect([after.mtimeMs, after.size, after.ino]).toEqual([before.mtimeMs, before.size, before.ino]);
}

let root: string;
let relay: Awaited<ReturnType<typeof startRelay>>;
beforeEach(async () => {
  root = await tempRoot({
    'a.mjs': V1,
    'deep/er/b.js': V1,
    'node_modules/pkg/c.mjs': V1,
    'e.ts': V1,
  });
  for (const file of FILES) await utimes(join(root, file), FIXED_TIME, FIXED_TIME);
});
afterEach(async () => {
  await relay.close();
  await removeRoot(root);
});

async function versions(paths: string[]): Promise<Record<string, string>> {
  const client = await TestClient.open(relay.url);
  try {
    const seen: Record<string, string> = {};
    for (const path of paths) {
      const body = asModule(await client.request(path)).body.toString();
      seen[path] = body === V1 ? 'v1' : body === V2 ? 'v2' : body;
    }
    return seen;
  } finally {
    client.close();
  }
}

describe('prewarm', () => {
  it('reads the root\'s modules at start-up, skipping node_modules', async () => {
    relay = await startRelay(resolveRelayOptions({ root, port: 0, watch: false }));
    await relay.relay.prewarmed;
    for (const file of ['a.mjs', 'deep/er/b.js', 'node_modules/pkg/c.mjs']) await rewriteKeepingStat(join(root, file), V2);
    expect(await versions(['/a.mjs', '/deep/er/b.js', '/node_modules/pkg/c.mjs'])).toEqual({
      '/a.mjs': 'v1', // read ahead: the in-place rewrite is invisible to a stat
      '/deep/er/b.js': 'v1',
      '/node_modules/pkg/c.mjs': 'v2', // not read ahead: first read happens on request
    });
  });

  it('is off with prewarm: false', async () => {
    relay = await startRelay(resolveRelayOptions({ root, port: 0, watch: false, prewarm: false }));
    await relay.relay.prewarmed;
    await rewriteKeepingStat(join(root, 'a.mjs'), V2);
    expect(await versions(['/a.mjs'])).toEqual({ '/a.mjs': 'v2' });
  });
});
