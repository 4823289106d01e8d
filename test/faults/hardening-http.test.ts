import { appendFile, chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterEach, describe, expect, test } from 'vitest';
import { serve, type Server } from '../../server/index.js';
import { removeRoot, tempRoot } from '../support/temp.js';
import { sleep } from '../support/wait.js';
import { KeepAliveClient } from './http-client.js';
import { record, size } from './record.js';
import { startRelayProcess, type RelayProcess } from './relay-process.js';

/**
 * `modrelay serve` as an attacker and a busy build tool meet it: files that vanish, change
 * and lose their permissions while they are served, a file grown while it is read, forged
 * Host headers on a non-default address, and names that must never be served.
 */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

async function root(files: Record<string, string>): Promise<string> {
  const dir = await tempRoot(files, { prefix: 'modrelay-faults-http-' });
  cleanups.push(() => removeRoot(dir));
  return dir;
}

async function inProcess(dir: string, options: Partial<Parameters<typeof serve>[0]> = {}): Promise<Server> {
  const server = await serve({ root: dir, port: 0, relayPort: 0, prewarm: false, ...options });
  cleanups.push(() => server.close());
  return server;
}

describe('hardening: serve over HTTP', () => {
  test('files deleted, rewritten and made unreadable while they are served never take serve down', async () => {
    const dir = await root({ 'a.txt': 'x\n', 's.css': 'v0\n', 'c.txt': 'c\n', 'index.html': '<p>up</p>\n' });
    await chmod(dir, 0o755);
    await chmod(join(dir, 'a.txt'), 0o000);
    // As `nobody` when the tests run as root: root reads a chmod 000 file anyway.
    const server: RelayProcess = await startRelayProcess(dir, ['--no-prewarm'], 15_000, { command: 'serve', asNobody: true });
    cleanups.push(() => server.kill());
    const client = new KeepAliveClient(server.httpUrl!);
    cleanups.push(async () => client.close());

    const wanted = size(40, 400);
    const most = wanted * 100;
    let writing = true;
    let versions = 0;
    // A build tool rewriting s.css (delete, then write) every 20 ms, and c.txt's mode flipping.
    const writer = (async () => {
      while (writing && versions < wanted) {
        await rm(join(dir, 's.css'), { force: true });
        await writeFile(join(dir, 's.css'), `v${++versions}\n`);
        await chmod(join(dir, 'c.txt'), versions % 2 ? 0o000 : 0o644);
        await sleep(20);
      }
    })();
    const statuses = new Map<number, number>();
    let failures = 0;
    let badBodies = 0;
    const badSamples: string[] = [];
    let requests = 0;
    for (; requests < most && versions < wanted; requests++) {
      const path = ['/s.css', '/c.txt', '/a.txt'][requests % 3]!;
      try {
        const answer = await client.get(path);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        if (answer.status === 200) {
          const body = answer.body.toString();
          // Between the writer's create and its write the file is empty: that is a version too.
          const complete = path === '/s.css' ? /^(v\d+\n)?$/.test(body) : body === 'c\n';
          if (!complete || Number(answer.headers['content-length']) !== answer.body.byteLength) {
            badBodies++;
            if (badSamples.length < 3) badSamples.push(`${path}: ${JSON.stringify(body.slice(0, 40))} (Content-Length ${answer.headers['content-length']})`);
          }
        }
      } catch {
        failures++;
      }
    }
    writing = false;
    await writer;
    const unreadable = await client.get('/a.txt');
    const index = await client.get('/');
    const alive = server.alive();
    const summary = [...statuses].sort().map(([status, n]) => `${status}×${n}`).join(', ');
    record({
      area: 'serve over HTTP',
      tried: `${requests} keep-alive GETs while s.css is deleted and rewritten every 20 ms (${versions} versions), c.txt flips between mode 000 and 644, a.txt is mode 000 (serve runs as nobody)`,
      times: requests,
      happened: `serve ${alive ? 'alive' : 'DEAD'}; answers ${summary}; ${failures} failed to parse or never ended; ${badBodies} bodies incomplete or not matching Content-Length${badSamples.length ? ` (${badSamples.join('; ')})` : ''}; unreadable file → ${unreadable.status}`,
      pass: alive && failures === 0 && badBodies === 0 && unreadable.status === 403,
    });
    expect(alive).toBe(true);
    expect(failures).toBe(0);
    expect(badBodies).toBe(0);
    expect(statuses.get(200)).toBeGreaterThan(0);
    expect(unreadable.status).toBe(403);
    expect(index.body.toString()).toBe('<p>up</p>\n');
  });

  test('a file appended to while it is served: every answer parses and its body is exactly its Content-Length', async () => {
    const dir = await root({ 'log.txt': '' });
    const server = await inProcess(dir);
    const client = new KeepAliveClient(server.url);
    cleanups.push(async () => client.close());
    const requests = size(400, 4000);
    let appending = true;
    let lines = 0;
    const writer = (async () => {
      while (appending && lines < requests * 4) {
        await appendFile(join(dir, 'log.txt'), `line ${++lines} ${'x'.repeat(200)}\n`);
        if (lines % 4 === 0) await sleep(1);
      }
    })();
    let failures = 0;
    let mismatched = 0;
    const bodies: string[] = [];
    for (let i = 0; i < requests; i++) {
      try {
        const answer = await client.get('/log.txt');
        if (Number(answer.headers['content-length']) !== answer.body.byteLength) mismatched++;
        bodies.push(answer.body.toString());
      } catch {
        failures++;
      }
    }
    appending = false;
    await writer;
    const final = await readFile(join(dir, 'log.txt'), 'utf8');
    // Each body is the file as it was at one moment: a prefix of the final file.
    const notAVersion = bodies.filter((body) => !final.startsWith(body)).length;
    record({
      area: 'serve over HTTP',
      tried: `${requests} keep-alive GETs of a file appended to (${lines} appends) while served`,
      times: requests,
      happened: `${failures} failed to parse; ${mismatched} bodies not matching Content-Length; ${notAVersion} bodies that were never the file's content`,
      pass: failures === 0 && mismatched === 0 && notAVersion === 0,
    });
    expect(failures).toBe(0);
    expect(mismatched).toBe(0);
    expect(notAVersion).toBe(0);
  });

  test('Host is checked on a non-default address too: rebinding names are refused, IPs, localhost and allowed names served', async () => {
    const dir = await root({ 'index.html': '<p>app</p>\n', 'package.json': '{}\n', 'a.mjs': 'export const a = 1;\n' });
    const server = await inProcess(dir, { host: '127.0.0.2', allowedHosts: ['dev.example', '.team.example'] });
    const client = new KeepAliveClient(server.url);
    cleanups.push(async () => client.close());
    const port = new URL(server.url).port;
    const pairs: [string, number][] = [
      ['evil.example', 403], [`evil.example:${port}`, 403], ['127.0.0.1.nip.io', 403], ['dev.example.evil', 403],
      [`127.0.0.2:${port}`, 200], [`localhost:${port}`, 200], [`app.localhost:${port}`, 200], [`[::1]:${port}`, 200],
      [`dev.example:${port}`, 200], [`x.team.example:${port}`, 200],
    ];
    const wrong: string[] = [];
    for (const [host, want] of pairs) {
      for (const path of ['/', '/package.json', '/a.mjs']) {
        const answer = await client.get(path, { host });
        if (answer.status !== want) wrong.push(`${host} ${path} → ${answer.status}`);
      }
    }
    // The relay's upgrade checks Host before Origin.
    const upgrade = await new Promise<string>((resolve) => {
      const socket = new WebSocket(server.relay.url, { headers: { host: 'evil.example' } });
      socket.on('unexpected-response', (_request, response) => resolve(String(response.statusCode)));
      socket.on('open', () => { socket.close(); resolve('opened'); });
      socket.on('error', () => resolve('error'));
    });
    record({
      area: 'serve over HTTP',
      tried: `--host 127.0.0.2 with --allowed-host dev.example and .team.example: ${pairs.length} Host headers × 3 paths, and a relay upgrade with Host evil.example`,
      times: pairs.length * 3 + 1,
      happened: `${wrong.length} answers not as expected${wrong.length ? ` (${wrong.join('; ')})` : ''}; upgrade → ${upgrade}`,
      pass: wrong.length === 0 && upgrade === '403',
    });
    expect(wrong).toEqual([]);
    expect(upgrade).toBe('403');
  });

  test('only the served-files policy is served: keys, identities, dotfiles and unlisted types are refused on both sides', async () => {
    const dir = await root({
      'index.html': '<p>app</p>\n', 'package.json': '{}\n', 'a.mjs': 'export const a = 1;\n', 'style.css': 'p{}\n',
      '.env': 'SECRET=1\n', '.env.local': 'SECRET=1\n', '.git/config': '[core]\n', 'id_rsa': 'KEY\n', 'id_ed25519.txt': 'KEY\n',
      'server.pem': 'KEY\n', 'tls.key': 'KEY\n', 'src.ts': 'export const t = 1;\n', 'README': 'readme\n', 'secrets/notes.md': 'x\n',
    });
    // `--ext` widened to key types: the deny list still holds.
    const server = await inProcess(dir, { extensions: ['.mjs', '.js', '.html', '.json', '.css', '.txt', '.pem', '.key'] });
    const client = new KeepAliveClient(server.url);
    cleanups.push(async () => client.close());
    const served = ['/', '/index.html', '/package.json', '/a.mjs', '/style.css'];
    const refused = ['/.env', '/.env.local', '/.git/config', '/id_rsa', '/id_ed25519.txt', '/server.pem', '/tls.key', '/src.ts', '/README', '/secrets/notes.md'];
    const wrong: string[] = [];
    for (const path of served) if ((await client.get(path)).status !== 200) wrong.push(`${path} not served`);
    for (const path of refused) {
      const answer = await client.get(path);
      if (answer.status === 200 || answer.body.toString().includes('KEY') || answer.body.toString().includes('SECRET')) wrong.push(`${path} → ${answer.status}`);
    }
    const socket = new WebSocket(server.relay.url);
    cleanups.push(async () => socket.close());
    const answers = await new Promise<Map<string, string>>((resolve) => {
      const got = new Map<string, string>();
      socket.on('message', (data: Buffer, binary: boolean) => {
        const message = binary ? { type: 'module:response', path: 'binary' } : JSON.parse(data.toString());
        if (message.type === 'hello') {
          refused.forEach((path, id) => socket.send(JSON.stringify({ type: 'module:request', id, path })));
          return;
        }
        got.set(refused[message.id] ?? message.path, message.type === 'module:error' ? message.code : 'served');
        if (got.size === refused.length) resolve(got);
      });
    });
    const servedOverSocket = [...answers].filter(([, code]) => code === 'served').map(([path]) => path);
    record({
      area: 'serve over HTTP',
      tried: `served-files policy with --ext widened to .pem and .key: ${served.length} app files, ${refused.length} keys, identities, dotfiles and unlisted types, over HTTP and the socket`,
      times: served.length + refused.length * 2,
      happened: `${wrong.length} HTTP answers wrong${wrong.length ? ` (${wrong.join('; ')})` : ''}; ${servedOverSocket.length} refused names served over the socket; socket codes ${[...new Set(answers.values())].join(', ')}`,
      pass: wrong.length === 0 && servedOverSocket.length === 0,
    });
    expect(wrong).toEqual([]);
    expect(servedOverSocket).toEqual([]);
  });
});
