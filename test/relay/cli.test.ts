import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server as NetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256 } from '../support/sha256.js';
import { removeRoot, tempRoot } from '../support/temp.js';
import { asModule, TestClient } from './helpers.js';

/** Runs the real CLI (bin/modrelay.js → dist/server/cli/cli.js): `npm run build` first (npm test does). */
const BIN = fileURLToPath(new URL('../../bin/modrelay.js', import.meta.url));

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

const running: Run[] = [];

function run(...args: string[]): Run {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const result = { child, stdout: () => stdout, stderr: () => stderr, exit };
  running.push(result);
  return result;
}

/** Waits (bounded) until stdout matches, failing with what the process printed. */
async function waitFor(process: Run, pattern: RegExp, timeoutMs = 15_000, stream: 'stdout' | 'stderr' = 'stdout'): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = process[stream]().match(pattern);
    if (match) return match;
    if (process.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no ${pattern} in stdout: ${JSON.stringify(process.stdout())}, stderr: ${JSON.stringify(process.stderr())}`);
}

let root: string;
beforeAll(async () => {
  root = await tempRoot({ 'index.html': '<h1>cli</h1>', 'app.mjs': 'export const app = "cli";\n' });
});
afterEach(async () => {
  for (const process of running.splice(0)) {
    if (process.child.exitCode === null && process.child.signalCode === null) process.child.kill('SIGKILL');
    await process.exit;
  }
});
afterAll(() => removeRoot(root));

describe('modrelay --help', () => {
  it('lists every command, and each command\'s help documents its flags and defaults; exits 0', async () => {
    const cli = run('--help');
    expect(await cli.exit).toBe(0);
    for (const text of ['relay <root>', 'serve <root>', 'init <public-dir>']) expect(cli.stdout()).toContain(text);
    const serveHelp = run('serve', '--help');
    expect(await serveHelp.exit).toBe(0);
    for (const text of ['--port', '--relay-port', '--host', '--allow-origin', '--allowed-host', '--ext', '--assets', '--max-file-size', '--debounce', '--no-watch', '--config', '--quiet', '--verbose', '8889', '8080', '127.0.0.1', '.mjs .js', '16777216', '20']) {
      expect(serveHelp.stdout()).toContain(text);
    }
  });
});

describe('modrelay --version and per-command help', () => {
  it('prints the version of package.json', async () => {
    const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      const cli = run(flag);
      expect(await cli.exit).toBe(0);
      expect(cli.stdout()).toContain(`modrelay/${version}`);
    }
  });

  it('serve --help lists serve\'s own flags, relay --help does not', async () => {
    const serveHelp = run('serve', '--help');
    expect(await serveHelp.exit).toBe(0);
    for (const flag of ['--spa', '--fallback', '--proxy', '--header', '--relay-port', '--open']) expect(serveHelp.stdout()).toContain(flag);
    const relayHelp = run('relay', '--help');
    expect(await relayHelp.exit).toBe(0);
    expect(relayHelp.stdout()).toContain('$ modrelay relay <root>');
    expect(relayHelp.stdout()).not.toContain('--spa');
  });
});

describe('modrelay relay', () => {
  it('prints one start-up line with the real port and serves a plain ws client', async () => {
    const cli = run('relay', root, '--port', '0');
    const [, url] = await waitFor(cli, /modrelay relay: (ws:\/\/127\.0\.0\.1:\d+\/) serving (.+)\n/);
    const client = await TestClient.open(url!);
    try {
      const answer = asModule(await client.request('/app.mjs'));
      expect(answer.body.toString()).toBe('export const app = "cli";\n');
      expect(answer.header.hash).toBe(sha256('export const app = "cli";\n'));
    } finally {
      client.close();
    }
  });

  it('checks Origin against --allow-origin', async () => {
    const cli = run('relay', root, '--port', '0', '--allow-origin', 'http://localhost:3000');
    const [, url] = await waitFor(cli, /(ws:\/\/\S+)/);
    const client = await TestClient.open(url!, 'http://localhost:3000');
    client.close();
    expect(await TestClient.refusal(url!, 'http://evil.example')).toBe(403);
  });

  it('exits 0 on SIGTERM and on SIGINT', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const cli = run('relay', root, '--port', '0');
      await waitFor(cli, /ws:\/\//);
      cli.child.kill(signal);
      expect(await cli.exit).toBe(0);
    }
  });

  it('exits non-zero with a clear message when the port is in use', async () => {
    const blocker: NetServer = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (blocker.address() as AddressInfo).port;
      const cli = run('relay', root, '--port', String(port));
      expect(await cli.exit).not.toBe(0);
      expect(cli.stderr()).toContain(`port ${port} on 127.0.0.1 is already in use`);
    } finally {
      blocker.close();
    }
  });

  it.each([
    [['relay', '/definitely/not/a/folder', '--port', '0'], 'root folder not found: /definitely/not/a/folder'],
    [['relay', '--port', '0'], 'missing <root>'],
    [['relay', 'ROOT', '--bogus'], 'unknown flag --bogus'],
    [['relay', 'ROOT', '--prot', '0'], 'unknown flag --prot; did you mean --port?'],
    [['relay', 'ROOT/index.html', '--port', '0'], 'root is not a folder'],
    [['serve', 'ROOT', '--assets', 'some'], '--assets takes "none" or "all"'],
    [['serve', 'ROOT', '--proxy', 'api'], '--proxy takes prefix=url'],
    [['relay', 'ROOT', '--port', 'eighty'], '--port must be a non-negative integer'],
    [['relay', 'ROOT', '--port', '70000'], 'port must be at most 65535'],
    [['relay', 'ROOT', '--allow-origin', 'not a url', '--port', '0'], 'not an origin URL'],
    [['relay', 'ROOT', '--relay-port', '1'], '--relay-port is for serve, not relay; use --port'],
    [['serve', 'ROOT', '--https', '--cert', 'cert.pem', '--port', '0'], 'cert and key go together'],
    [['serve', 'ROOT', '--cert', '/definitely/not/cert.pem', '--key', '/definitely/not/key.pem', '--port', '0'], 'cannot read the certificate or key'],
    [['launch', 'ROOT'], 'unknown command "launch"'],
    [[], 'missing command'],
  ])('exits non-zero with a clear message for %j', async (args, message) => {
    const cli = run(...args.map((arg) => arg.replace(/^ROOT/, root)));
    expect(await cli.exit).not.toBe(0);
    expect(cli.stderr()).toContain(message);
    expect(cli.stderr()).toContain('--help');
  });
});

describe('modrelay serve', () => {
  it('serves index.html, /sw.js, /@modrelay/client.mjs (relay URL substituted) and modules over its relay', async () => {
    const cli = run('serve', root, '--port', '0', '--relay-port', '0');
    const [, httpUrl, wsUrl] = await waitFor(cli, /modrelay serve: (http:\/\/127\.0\.0\.1:\d+\/) \(relay (ws:\/\/127\.0\.0\.1:\d+\/)\)/);
    const index = await fetch(httpUrl!);
    expect(index.status).toBe(200);
    expect(await index.text()).toBe('<h1>cli</h1>');
    const sw = await fetch(new URL('/sw.js', httpUrl));
    expect(sw.status).toBe(200);
    expect(sw.headers.get('cache-control')).toBe('no-cache');
    const client = await fetch(new URL('/@modrelay/client.mjs', httpUrl));
    expect(client.status).toBe(200);
    const source = await client.text();
    expect(source).toContain(wsUrl!);
    expect(source).not.toContain('__MODRELAY_RELAY_URL__');

    const socket = await TestClient.open(wsUrl!, new URL(httpUrl!).origin);
    try {
      expect(asModule(await socket.request('/app.mjs')).header.hash).toBe(sha256('export const app = "cli";\n'));
    } finally {
      socket.close();
    }
    cli.child.kill('SIGTERM');
    expect(await cli.exit).toBe(0);
  });

  it('exits non-zero with a clear message when the relay port is in use', async () => {
    const blocker: NetServer = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (blocker.address() as AddressInfo).port;
      const cli = run('serve', join(root), '--port', '0', '--relay-port', String(port));
      expect(await cli.exit).not.toBe(0);
      expect(cli.stderr()).toContain('already in use');
    } finally {
      blocker.close();
    }
  });
});

describe('modrelay serve: config file and terminal lines', () => {
  it('reads modrelay.config.json from the root; a flag wins over it; an unknown key is refused', async () => {
    const dir = await tempRoot({ 'index.html': '<p>shell</p>', 'modrelay.config.json': JSON.stringify({ spa: true, headers: { 'X-From': 'file' } }) });
    try {
      const cli = run('serve', dir, '--port', '0', '--relay-port', '0', '--header', 'X-From: flag');
      const [, httpUrl] = await waitFor(cli, /modrelay serve: (http:\/\/\S+) /);
      const answer = await new Promise<{ status: number; from: string | undefined }>((resolve, reject) => {
        httpRequest(new URL('/deep/route', httpUrl), { headers: { 'sec-fetch-mode': 'navigate' } }, (response) => {
          response.resume();
          resolve({ status: response.statusCode ?? 0, from: response.headers['x-from'] as string | undefined });
        }).on('error', reject).end();
      });
      expect(answer).toEqual({ status: 200, from: 'flag' });
    } finally {
      await removeRoot(dir);
    }
    const bad = await tempRoot({ 'modrelay.config.json': JSON.stringify({ spaa: true }) });
    try {
      const cli = run('serve', bad, '--port', '0', '--relay-port', '0');
      expect(await cli.exit).toBe(2);
      expect(cli.stderr()).toContain('unknown option spaa');
    } finally {
      await removeRoot(bad);
    }
  });

  it('prints a line per client, per announced change (with how many clients were told) and per refused origin with the fix', async () => {
    const dir = await tempRoot({ 'a.mjs': 'export const a = 1;\n' });
    try {
      const cli = run('serve', dir, '--port', '0', '--relay-port', '0');
      const [, httpUrl, wsUrl] = await waitFor(cli, /modrelay serve: (http:\/\/\S+) \(relay (ws:\/\/\S+)\)/);
      const origin = new URL(httpUrl!).origin;
      const socket = await TestClient.open(wsUrl!, origin);
      await socket.hello();
      await waitFor(cli, new RegExp(`connected: ${origin} \\(1 connected\\)`));
      await writeFile(join(dir, 'a.mjs'), 'export const a = 2;\n');
      await waitFor(cli, /updated \/a\.mjs \(1 client told\)/);
      expect(await TestClient.refusal(wsUrl!, 'http://localhost:3000')).toBe(403);
      await waitFor(cli, /origin http:\/\/localhost:3000 refused: add --allow-origin http:\/\/localhost:3000/, 5000, 'stderr');
      socket.close();
      await waitFor(cli, new RegExp(`disconnected: ${origin}`));
      // --quiet: the start-up line only.
      const quiet = run('serve', dir, '--port', '0', '--relay-port', '0', '--quiet');
      await waitFor(quiet, /modrelay serve:/);
      expect(quiet.stdout()).not.toContain('Open http');
    } finally {
      await removeRoot(dir);
    }
  });
});

describe('modrelay serve --open', () => {
  it('opens the page with the system opener (xdg-open)', async () => {
    const dir = await tempRoot({ 'index.html': '<p>open</p>', 'bin/xdg-open': '#!/bin/sh\necho "$1" > "$(dirname "$0")/opened"\n' });
    try {
      await chmod(join(dir, 'bin/xdg-open'), 0o755);
      const child = spawn(process.execPath, [BIN, 'serve', dir, '--port', '0', '--relay-port', '0', '--open'], {
        stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH}` },
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      let opened = '';
      for (let i = 0; i < 100 && !opened; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        opened = await readFile(join(dir, 'bin/opened'), 'utf8').catch(() => '');
      }
      child.kill('SIGTERM');
      expect(opened.trim()).toBe(/modrelay serve: (http:\/\/\S+) /.exec(out)?.[1]);
    } finally {
      await removeRoot(dir);
    }
  });
});

describe('modrelay init', () => {
  it('writes the worker and the client into a public folder, prints the two boot lines, replaces only its own copies', async () => {
    const dir = await tempRoot({});
    try {
      const cli = run('init', join(dir, 'public'));
      expect(await cli.exit).toBe(0);
      expect(cli.stdout()).toContain("await import('./modrelay-client.mjs')");
      expect(cli.stdout()).toContain("registerModuleRelay({ swUrl: '/modrelay-sw.js'");
      const sw = await readFile(join(dir, 'public', 'modrelay-sw.js'), 'utf8');
      expect(sw).toBe((await readFile(new URL('../../dist/sw.js', import.meta.url), 'utf8')).replace('sourceMappingURL=sw.js.map', 'sourceMappingURL=modrelay-sw.js.map'));
      expect(sw.startsWith('/*! modrelay ')).toBe(true);
      expect(await readFile(join(dir, 'public', 'modrelay-client.mjs'), 'utf8')).toContain('registerModuleRelay');
      const again = run('init', join(dir, 'public'));
      expect(await again.exit).toBe(0);
      await writeFile(join(dir, 'public', 'modrelay-sw.js'), 'self.addEventListener("fetch", () => {});\n');
      const clash = run('init', join(dir, 'public'));
      expect(await clash.exit).toBe(2);
      expect(clash.stderr()).toContain('is not modrelay');
    } finally {
      await removeRoot(dir);
    }
  });

  it('--entry writes a boot file that registers modrelay and then imports the entry; an app with its own worker is told how to mount modrelay inside it', async () => {
    const dir = await tempRoot({ 'public/sw.js': "self.addEventListener('fetch', () => {});\n" });
    try {
      const cli = run('init', join(dir, 'public'), '--entry', './main.mjs');
      expect(await cli.exit).toBe(0);
      const boot = await readFile(join(dir, 'public', 'modrelay-boot.mjs'), 'utf8');
      // Registration first, the app after it, never as a static import.
      expect(boot.indexOf('await registerModuleRelay(')).toBeLessThan(boot.indexOf("await import('./main.mjs')"));
      expect(boot).not.toMatch(/^import /m);
      // Its own worker is the one registered: modrelay's would replace it.
      expect(boot).toContain("swUrl: '/sw.js'");
      expect(cli.stdout()).toContain('<script type="module" src="/modrelay-boot.mjs"></script>');
      expect(cli.stdout()).toContain("importScripts('/modrelay-worker.js')");
      expect(await readFile(join(dir, 'public', 'modrelay-worker.js'), 'utf8')).toContain('createModuleRelay');
    } finally {
      await removeRoot(dir);
    }
  });
});

describe('modrelay serve --https', () => {
  it('makes a self-signed certificate once (its key readable by the user only) and keeps it; prints how to trust it; the relay is wss:// on the same port', async () => {
    const cache = await tempRoot({}, { prefix: 'modrelay-cache-' });
    process.env.XDG_CACHE_HOME = cache; // the spawned CLI inherits it
    try {
      const spkis: string[] = [];
      for (let i = 0; i < 2; i++) {
        const cli = run('serve', root, '--https', '--port', '0');
        const [, url, relay] = await waitFor(cli, /modrelay serve: (https:\/\/127\.0\.0\.1:\d+\/) \(relay (\S+)\)/);
        expect(relay).toBe(`wss://${new URL(url!).host}/ws/modules`);
        spkis.push((await waitFor(cli, /--ignore-certificate-errors-spki-list=(\S+)/))[1]!);
        // It answers over TLS with the certificate it keeps.
        const peer = await new Promise<string>((resolve, reject) => {
          httpsGet(url!, { rejectUnauthorized: false }, (response) => {
            resolve((response.socket as TLSSocket).getPeerCertificate().fingerprint256);
            response.resume();
          }).on('error', reject);
        });
        expect(peer).toBe(new X509Certificate(await readFile(join(cache, 'modrelay', 'localhost-cert.pem'))).fingerprint256);
        cli.child.kill('SIGTERM');
        expect(await cli.exit).toBe(0);
      }
      expect(spkis[1]).toBe(spkis[0]);
      expect((await stat(join(cache, 'modrelay', 'localhost-key.pem'))).mode & 0o777).toBe(0o600);
    } finally {
      delete process.env.XDG_CACHE_HOME;
      await removeRoot(cache);
    }
  });
});
