import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFuzz } from './fuzzer.js';
import { runGoodClient } from './good-client.js';
import { makeHostileRoot, pathAttacks, SECRET, type HostileRoot } from './hostile-root.js';
import { record, size } from './record.js';
import { startRelayProcess, type RelayProcess } from './relay-process.js';

/**
 * Issue 5, part 3: hostile input. The relay runs as `node bin/modrelay.js relay` in a child
 * process, so a crash is an exit and memory is the process's RSS.
 */
const FRAMES = size(5_000, 50_000);
const HUGE = size(3, 20);
const MAX_PAYLOAD = 4 * 1024 * 1024; // the relay's default
const MiB = 1024 * 1024;

interface Reply {
  type: string;
  id?: number;
  code?: string;
}

/** Sends one request and returns the first reply that answers it (bounded). */
function ask(url: string, path: string, timeoutMs = 10_000): Promise<Reply | string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => {
      ws.terminate();
      resolve(`no answer within ${timeoutMs} ms`);
    }, timeoutMs);
    const done = (r: Reply | string) => {
      clearTimeout(timer);
      ws.close();
      resolve(r);
    };
    ws.on('open', () => ws.send(JSON.stringify({ type: 'module:request', id: 7, path })));
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) return done({ type: 'module:response' });
      const msg = JSON.parse(data.toString()) as Reply;
      if (msg.type !== 'hello') done(msg);
    });
    ws.on('close', (code) => done(`closed ${code}`));
    ws.on('error', (e) => done(`error ${e.message}`));
  });
}

describe('hostile input to the relay (child process)', () => {
  let hostile: HostileRoot;
  let relay: RelayProcess;

  beforeAll(async () => {
    hostile = await makeHostileRoot();
    relay = await startRelayProcess(hostile.root);
  });
  afterAll(async () => {
    await relay?.kill('SIGKILL');
    await hostile?.remove();
  });

  it('refuses every path attack with a clear error, one by one', async () => {
    const attacks = pathAttacks(hostile);
    const wrong: string[] = [];
    const codes: Record<string, number> = {};
    // Sequential on purpose: a read that blocks (the FIFO) shows up as that path's timeout.
    for (const path of attacks) {
      const reply = await ask(relay.url, path);
      const ok = typeof reply !== 'string' && reply.type === 'module:error' && reply.id === 7;
      if (ok) codes[reply.code!] = (codes[reply.code!] ?? 0) + 1;
      else wrong.push(`${JSON.stringify(path.length > 80 ? `${path.slice(0, 80)}…` : path)} → ${JSON.stringify(reply)}`);
    }
    record({
      area: 'hostile input',
      tried: 'path attacks one by one (traversal, %2e/%252e, overlong UTF-8, NUL, backslashes, absolute, long, symlinks out, /dev/zero, FIFO, directory, dotfiles, too large, wrong extension)',
      times: attacks.length,
      happened: `${attacks.length - wrong.length} refused with module:error (${Object.entries(codes).map(([c, n]) => `${c} ${n}`).join(', ')}); ${wrong.length} not refused`,
      pass: wrong.length === 0 && relay.alive(),
    });
    expect(wrong).toEqual([]);
    expect(relay.alive()).toBe(true);
  }, 300_000);

  it(`survives ${FRAMES} fuzzed frames while a well-behaved client keeps fetching`, async () => {
    // Warm up so the baseline RSS includes the module cache and the JIT.
    const warm = await runGoodClient(relay.url, hostile.modules, () => false, { maxRequests: 200 });
    expect(warm.failures).toEqual([]);
    await new Promise((r) => setTimeout(r, 500));
    const rssBefore = relay.rss();
    let peak = rssBefore;
    const sampler = setInterval(() => {
      if (relay.alive()) peak = Math.max(peak, relay.rss());
    }, 100);
    let fuzzing = true;
    const good = runGoodClient(relay.url, hostile.modules, () => !fuzzing, { concurrency: 2 });
    const report = await runFuzz({
      url: relay.url,
      seed: 0x5eed,
      frames: FRAMES,
      huge: HUGE,
      maxPayload: MAX_PAYLOAD,
      attacks: pathAttacks(hostile),
      modules: hostile.modules,
      secret: SECRET,
    }).finally(() => {
      fuzzing = false;
    });
    const goodReport = await good;
    clearInterval(sampler);
    await new Promise((r) => setTimeout(r, 1000));
    const alive = relay.alive();
    const rssAfter = alive ? relay.rss() : 0;
    const hello = alive ? await ask(relay.url, '/lib/m0.mjs') : 'dead';
    const growth = rssAfter - rssBefore;
    const cats = Object.entries(report.byCategory).map(([c, n]) => `${c} ${n}`).join(', ');
    record({
      area: 'hostile input',
      tried: `seeded fuzz (seed 0x5eed): ${cats}`,
      times: report.sent,
      happened: `relay ${alive ? 'alive' : 'DEAD'}; ${report.replies} replies, errors ${Object.entries(report.errorsByCode).map(([c, n]) => `${c} ${n}`).join(', ')}; closes ${Object.entries(report.closes).map(([c, n]) => `${c}×${n}`).join(', ')}; ${report.problems.length} problems`,
      pass: alive && report.problems.length === 0,
    });
    record({
      area: 'hostile input',
      tried: 'well-behaved client fetching real modules during the fuzz (sha-256 checked)',
      times: goodReport.requests,
      happened: `${goodReport.ok} right bodies, ${goodReport.failures.length} failed`,
      pass: goodReport.failures.length === 0 && goodReport.requests > 0,
    });
    record({
      area: 'hostile input',
      tried: 'relay memory (child RSS) across the fuzz',
      times: 1,
      happened: `RSS ${(rssBefore / MiB).toFixed(1)} MiB before, peak ${(peak / MiB).toFixed(1)} MiB, ${(rssAfter / MiB).toFixed(1)} MiB after (growth ${(growth / MiB).toFixed(1)} MiB, bound 96 MiB)`,
      pass: alive && growth < 96 * MiB,
    });
    expect(alive, relay.output()).toBe(true);
    expect(report.problems.slice(0, 20)).toEqual([]);
    expect(goodReport.failures.slice(0, 20)).toEqual([]);
    expect(goodReport.requests).toBeGreaterThan(0);
    expect(hello).toMatchObject({ type: 'module:response' });
    expect(growth).toBeLessThan(96 * MiB);
  }, 900_000);
});
