import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterEach, describe, expect, test } from 'vitest';
import { createRelay, serve } from '../../server/index.js';
import { asModule, TestClient } from '../relay/helpers.js';
import { sha256 } from '../support/sha256.js';
import { removeRoot, tempRoot } from '../support/temp.js';
import { sleep } from '../support/wait.js';
import { KeepAliveClient } from './http-client.js';
import { record, size } from './record.js';
import { startRelayProcess } from './relay-process.js';

/**
 * The relay as an attacker meets it: a folder swapped for a symlink out of the root while it
 * is read, clients that send and never read, a root deleted and made again, and one
 * connection's heavy manifests next to another's plain requests.
 */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

async function root(files: Record<string, string | Uint8Array>, prefix = 'modrelay-faults-relay-'): Promise<string> {
  const dir = await tempRoot(files, { prefix });
  cleanups.push(() => removeRoot(dir));
  return dir;
}

/** A client past its hello, closed after the test. */
async function connect(url: string): Promise<TestClient> {
  const client = await TestClient.open(url);
  cleanups.push(async () => client.close());
  await client.hello();
  return client;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};
const MiB = 1024 * 1024;

/** Exchanges <cwd>/d and <cwd>/s (renameat2 RENAME_EXCHANGE) for `seconds`; resolves with the count. */
function swapper(cwd: string, seconds: number): Promise<number> {
  const script = [
    'import ctypes, sys, time',
    'libc = ctypes.CDLL(None)',
    'end, n = time.time() + float(sys.argv[1]), 0',
    'while time.time() < end:',
    "    n += libc.renameat2(-100, b'd', -100, b's', 2) == 0",
    'print(n)',
  ].join('\n');
  const child = spawn('python3', ['-c', script, String(seconds)], { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve) => child.on('exit', () => resolve(Number(out.trim()) || 0)));
}

describe('hardening: the relay', () => {
  test('a folder swapped with a symlink out of the root while it is read: no outside byte leaves, on the socket or over HTTP', async () => {
    const outside = await root({ 'x.mjs': "export const v = 'OUTSIDE-THE-ROOT';\n" }, 'modrelay-faults-outside-');
    const dir = await root({ 'd/x.mjs': "export const v = 'in';\n", 'index.html': '<p>app</p>\n' });
    const { symlink } = await import('node:fs/promises');
    await symlink(outside, join(dir, 's'));
    const server = await serve({ root: dir, port: 0, relayPort: 0, watch: false, prewarm: false });
    cleanups.push(() => server.close());
    const seconds = size(2, 6);
    const swaps = swapper(dir, seconds);
    let swapping = true;
    void swaps.then(() => (swapping = false));
    const count = { socketIn: 0, socketOut: 0, socketRefused: 0, httpIn: 0, httpOut: 0, httpRefused: 0 };

    const client = await connect(server.relay.url);
    const socketSide = (async () => {
      for (let id = 1; swapping && id < 200_000; id++) {
        const answer = await client.request('/d/x.mjs', {}, id);
        if (answer.kind !== 'module') count.socketRefused++;
        else if (answer.body.includes('OUTSIDE')) count.socketOut++;
        else count.socketIn++;
      }
    })();
    const http = new KeepAliveClient(server.url);
    cleanups.push(async () => http.close());
    const httpSide = (async () => {
      while (swapping) {
        const answer = await http.get('/d/x.mjs');
        if (answer.status !== 200) count.httpRefused++;
        else if (answer.body.includes('OUTSIDE')) count.httpOut++;
        else count.httpIn++;
      }
    })();
    const swapped = await swaps;
    await Promise.all([socketSide, httpSide]);
    record({
      area: 'relay confinement',
      tried: `/d/x.mjs requested over the socket and over HTTP while d and a symlink s → outside folder are exchanged (renameat2) for ${seconds} s, watcher off`,
      times: count.socketIn + count.socketOut + count.socketRefused + count.httpIn + count.httpOut + count.httpRefused,
      happened: `${swapped} swaps; socket: ${count.socketIn} inside bodies, ${count.socketOut} outside, ${count.socketRefused} refused; HTTP: ${count.httpIn} inside, ${count.httpOut} outside, ${count.httpRefused} refused`,
      pass: swapped > 0 && count.socketOut === 0 && count.httpOut === 0 && count.socketIn > 0 && count.httpIn > 0,
    });
    expect(swapped).toBeGreaterThan(0);
    expect(count.socketOut).toBe(0);
    expect(count.httpOut).toBe(0);
    // Not vacuous: the file inside was served on both sides meanwhile.
    expect(count.socketIn).toBeGreaterThan(0);
    expect(count.httpIn).toBeGreaterThan(0);
  });

  test('a client that sends and never reads: relay memory stays bounded, and another client is still answered', async () => {
    const big = new Uint8Array(8 * MiB).fill(0x20);
    const dir = await root({ 'big.mjs': big, 'a.mjs': 'export const a = 1;\n' });
    const relay = await startRelayProcess(dir, [], 15_000, { nodeArgs: ['--max-old-space-size=256'] });
    cleanups.push(() => relay.kill());
    const good = await connect(relay.url);
    asModule(await good.request('/big.mjs'));
    asModule(await good.request('/a.mjs'));
    await sleep(300);
    const idle = relay.rss();
    let peak = idle;
    const sampler = setInterval(() => { if (relay.alive()) peak = Math.max(peak, relay.rss()); }, 50);
    cleanups.push(async () => clearInterval(sampler));

    const frames = size(200_000, 1_000_000);
    const attacker = new WebSocket(relay.url);
    cleanups.push(async () => attacker.terminate());
    let sent = 0;
    const attacking = new Promise<void>((resolve) => {
      attacker.on('open', () => {
        (attacker as unknown as { _socket: { pause(): void } })._socket.pause();
        for (let i = 0; i < 64; i++) attacker.send(JSON.stringify({ type: 'module:request', id: i, path: '/big.mjs' }));
        const burst = () => {
          for (let j = 0; j < 10_000 && sent < frames; j++) {
            attacker.send(`{"type":"module:check","id":${64 + sent++},"path":"/a.mjs","hash":"x"}`);
          }
          if (sent < frames && attacker.readyState === WebSocket.OPEN) setTimeout(burst, 20);
          else resolve();
        };
        burst();
      });
    });
    const roundTrips: number[] = [];
    let wrong = 0;
    const want = sha256('export const a = 1;\n');
    const polling = (async () => {
      for (let i = 0; i < size(40, 200); i++) {
        const started = performance.now();
        const answer = await good.request('/a.mjs');
        roundTrips.push(performance.now() - started);
        if (answer.kind !== 'module' || answer.header.hash !== want) wrong++;
        await sleep(25);
      }
    })();
    await Promise.all([attacking, polling]);
    await sleep(300);
    clearInterval(sampler);
    const alive = relay.alive();
    const bound = 2 * idle + big.byteLength;
    record({
      area: 'relay memory',
      tried: `a client that never reads sends 64 requests for an 8 MiB module and ${frames} module:check frames (relay: --max-old-space-size=256); another client asks for a module every 25 ms`,
      times: 64 + frames,
      happened: `relay ${alive ? 'alive' : 'DEAD'}; RSS idle ${(idle / MiB).toFixed(1)} MiB, peak ${(peak / MiB).toFixed(1)} MiB (bound 2 × idle + 8 MiB = ${(bound / MiB).toFixed(1)} MiB); the other client: ${roundTrips.length - wrong}/${roundTrips.length} right, round trip p50 ${percentile(roundTrips, 50).toFixed(1)} ms, p95 ${percentile(roundTrips, 95).toFixed(1)} ms`,
      pass: alive && peak <= bound && wrong === 0,
    });
    expect(alive).toBe(true);
    expect(peak).toBeLessThanOrEqual(bound);
    expect(wrong).toBe(0);
  });

  test('a client that stops reading while answers wait is closed after the stall timeout', async () => {
    const dir = await root({ 'big.mjs': new Uint8Array(4 * MiB).fill(0x20) });
    const relay = await createRelay({ root: dir, port: 0, watch: false, stallTimeoutMs: 300 });
    cleanups.push(() => relay.close());
    const attacker = new WebSocket(relay.url);
    cleanups.push(async () => attacker.terminate());
    await new Promise((resolve) => attacker.on('open', resolve));
    (attacker as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    for (let i = 0; i < 16; i++) attacker.send(JSON.stringify({ type: 'module:request', id: i, path: '/big.mjs' }));
    await sleep(2000);
    const closed = new Promise<number>((resolve) => attacker.on('close', (code) => resolve(code)));
    (attacker as unknown as { _socket: { resume(): void } })._socket.resume();
    const code = await Promise.race([closed, sleep(5000).then(() => -1)]);
    record({
      area: 'relay memory',
      tried: 'a client that asks for 16 × 4 MiB and stops reading (stallTimeoutMs 300)',
      times: 1,
      happened: code === -1 ? 'still open after 7 s' : `closed by the relay (close code ${code})`,
      pass: code !== -1,
    });
    expect(code).not.toBe(-1);
  });

  test('the root deleted and made again: the watcher re-attaches and announces what changed and what went', async () => {
    const dir = await root({ 'a.mjs': 'export const a = 1;\n', 'b.mjs': 'export const b = 1;\n' });
    const relay = await createRelay({ root: dir, port: 0, prewarm: false });
    cleanups.push(() => relay.close());
    const client = await connect(relay.url);
    asModule(await client.request('/a.mjs'));
    asModule(await client.request('/b.mjs'));
    await rm(dir, { recursive: true, force: true });
    const goneNotice = await client.nextOf('module:removed', 10_000);
    await mkdir(dir);
    await writeFile(join(dir, 'a.mjs'), 'export const a = 2;\n');
    // Back: a.mjs is announced with its new hash, b.mjs (not made again) stays removed.
    const updated = await client.nextOf('module:updated', 10_000);
    await writeFile(join(dir, 'a.mjs'), 'export const a = 3;\n');
    const edited = await client.nextOf('module:updated', 10_000);
    const stillUpdated = client.pending().some((m) => m.kind === 'json' && m.message.type === 'module:updated' && m.message.modules.some((u) => u.path === '/b.mjs'));
    const right = goneNotice.paths.includes('/a.mjs') && goneNotice.paths.includes('/b.mjs')
      && updated.modules.some((m) => m.path === '/a.mjs' && m.hash === sha256('export const a = 2;\n'))
      && !updated.modules.some((m) => m.path === '/b.mjs') && !stillUpdated
      && edited.modules.some((m) => m.path === '/a.mjs' && m.hash === sha256('export const a = 3;\n'));
    record({
      area: 'relay watcher',
      tried: 'the root folder deleted (rm -rf) and made again with one of its two modules, then that module edited',
      times: 3,
      happened: `root gone: module:removed ${JSON.stringify(goneNotice.paths)}; back: module:updated ${JSON.stringify(updated.modules.map((m) => m.path))}; the next edit ${edited.modules.length > 0 ? 'announced' : 'missed'}`,
      pass: right,
    });
    expect(right).toBe(true);
  });

  test('one connection\'s heavy manifests do not starve another connection\'s requests', async () => {
    const files = size(2_000, 20_000);
    const parallel = size(16, 64);
    const tree: Record<string, string> = { 'a.mjs': 'export const a = 1;\n' };
    for (let i = 0; i < files; i++) tree[`m/${i % 100}/f${i}.mjs`] = `export const n = ${i};\n`;
    const dir = await root(tree);
    const relay = await createRelay({ root: dir, port: 0, watch: false });
    cleanups.push(() => relay.close());
    const entries: Record<string, string> = {};
    for (let i = 0; i < files; i++) entries[`/m/${i % 100}/f${i}.mjs`] = 'x';
    const heavy = await TestClient.open(relay.url);
    const good = await TestClient.open(relay.url);
    cleanups.push(async () => { heavy.close(); good.close(); });
    await Promise.all([heavy.hello(), good.hello()]);
    for (let id = 1; id <= parallel; id++) heavy.send({ type: 'manifest:check', id, entries });
    const roundTrips: number[] = [];
    let wrong = 0;
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const answer = await good.request('/a.mjs', {}, 1000 + i);
      roundTrips.push(performance.now() - started);
      if (answer.kind !== 'module') wrong++;
    }
    let answered = 0;
    for (let i = 0; i < parallel; i++) {
      const status = await heavy.nextOf('manifest:status', 60_000);
      if (Object.keys(status.changed).length === files) answered++;
    }
    record({
      area: 'relay fairness',
      tried: `${parallel} parallel ${files}-entry manifest:check on one connection; 20 module requests on another`,
      times: parallel + 20,
      happened: `${answered}/${parallel} manifests answered in full; the other connection: ${20 - wrong}/20 answered, round trip p50 ${percentile(roundTrips, 50).toFixed(1)} ms, p95 ${percentile(roundTrips, 95).toFixed(1)} ms, max ${Math.max(...roundTrips).toFixed(1)} ms`,
      pass: answered === parallel && wrong === 0,
    });
    expect(answered).toBe(parallel);
    expect(wrong).toBe(0);
  });
});
