import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRelay, type Relay } from '../../server/index.js';
import { sha256 } from '../support/sha256.js';
import { removeRoot, tempRoot } from '../support/temp.js';
import { asModule, nextId, TestClient, type Received } from './helpers.js';

/** 40 leaves of 512 KiB: a 20 MiB push, more than loopback's socket buffers and the relay's pacing window. */
const LEAVES = 40;
const LEAF_BYTES = 512 * 1024;
const leafName = (i: number) => `big/leaf${i}.mjs`;
const leafSource = (i: number) => `export const n = ${i};\n//${'x'.repeat(LEAF_BYTES)}\n`;

let root: string;
let relay: Relay;
const clients: TestClient[] = [];

beforeEach(async () => {
  const files: Record<string, string> = {
    'entry.mjs': Array.from({ length: LEAVES }, (_, i) => `import './${leafName(i)}';\n`).join(''),
    'other.mjs': 'export const other = true;\n',
  };
  for (let i = 0; i < LEAVES; i++) files[leafName(i)] = leafSource(i);
  root = await tempRoot(files);
  relay = await createRelay({ root, port: 0 });
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await relay.close();
  await removeRoot(root);
});

describe('a push in progress', () => {
  it('lets an explicit request overtake the pushed frames still waiting, and still delivers every one', async () => {
    const client = await TestClient.open(relay.url);
    clients.push(client);
    await client.hello();
    // The client stops reading, so the relay's socket fills up behind the push.
    client.socket.pause();
    const pushId = nextId();
    client.send({ type: 'module:request', id: pushId, path: '/entry.mjs', deps: true });
    // Give the relay time to read the graph and start the push before the second request.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const requestId = nextId();
    client.send({ type: 'module:request', id: requestId, path: '/other.mjs' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    client.socket.resume();

    // Everything arrives (bounded wait); `pending()` keeps the frames in arrival order.
    const deadline = Date.now() + 20_000;
    while (client.pending().filter((item) => item.kind === 'module').length < LEAVES + 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const frames = client.pending().map(asModule);
    expect(frames).toHaveLength(LEAVES + 2);
    const position = (id: number) => frames.findIndex((frame) => frame.header.id === id);
    expect(frames[position(pushId)]!.header.push).toHaveLength(LEAVES);
    expect(frames[position(requestId)]!.body.toString()).toBe('export const other = true;\n');
    // The answer to the explicit request overtook pushed frames that were still waiting.
    const lastPushed = frames.findLastIndex((frame) => frame.header.id === undefined);
    expect(position(requestId)).toBeLessThan(lastPushed);
    // And the push was still delivered whole, each body matching its hash.
    const pushed = frames.filter((frame) => frame.header.id === undefined);
    expect(new Set(pushed.map((frame) => frame.header.path)).size).toBe(LEAVES);
    for (const frame of pushed) expect(sha256(frame.body)).toBe(frame.header.hash);
  });

  it('never delivers the old version of a changed module after the module:updated that replaced it', async () => {
    const client = await TestClient.open(relay.url);
    clients.push(client);
    await client.hello();
    const last = `/${leafName(LEAVES - 1)}`;
    client.socket.pause();
    const pushId = nextId();
    client.send({ type: 'module:request', id: pushId, path: '/entry.mjs', deps: true });
    await new Promise((resolve) => setTimeout(resolve, 500));
    // An explicit answer for the last leaf waits behind the full socket, like the rest of the push.
    const requestId = nextId();
    client.send({ type: 'module:request', id: requestId, path: last });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const changed = `export const changed = true;\n`;
    await writeFile(join(root, leafName(LEAVES - 1)), changed);
    // Bounded: long enough for the watcher to flush and broadcast.
    await new Promise((resolve) => setTimeout(resolve, 500));
    client.socket.resume();
    // Everything arrives (bounded wait): the answer, the push (less what changed) and the update.
    const isUpdate = (item: Received) => item.kind === 'json' && item.message.type === 'module:updated';
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !(client.pending().some(isUpdate) && client.pending().filter((item) => item.kind === 'module').length >= LEAVES)) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const arrived = client.pending();
    const at = arrived.findIndex(isUpdate);
    expect(at).toBeGreaterThanOrEqual(0);
    const update = arrived[at] as { message: { modules: { path: string; hash: string }[] } };
    expect(update.message.modules).toContainEqual({ path: last, hash: sha256(changed) });
    // The old version of the leaf may come before the update, never after it.
    const staleAfter = arrived.slice(at + 1).filter((item) => item.kind === 'module' && item.header.path === last && item.header.hash !== sha256(changed));
    expect(staleAfter).toEqual([]);
  });
});
