import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterEach, describe, expect, test } from 'vitest';
import { serve } from '../../server/index.js';
import { docBlocks, type DocBlock } from '../support/doc-blocks.js';
import { startNode } from '../support/node-process.js';
import { browserSuite, firstVisit } from '../support/harness.js';
import { appResult } from '../support/page-log.js';
import { removeRoot, tempRoot } from '../support/temp.js';
import { poll } from '../support/wait.js';

/**
 * Every code block of README.md and docs/integration.md runs here as written (those of
 * docs/inside-your-server.md that start a server run in inside-your-server.test.ts): shell commands
 * as processes, page scripts as a page's boot script in Chromium, the Node example with node,
 * worker scripts bundled by Vite with no `define`. (The relay-only boot runs in
 * relay-only.test.ts, with Caddy.) Where a doc names a port, the block uses it: the tests own
 * 8080, 8888 and 8889 on this machine.
 */
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(REPO, 'bin/modrelay.js');
const STRATEGY = join(REPO, 'dist/strategy.mjs');
const APP = "window.__result = { ran: true, controlled: !!navigator.serviceWorker.controller };\n";

const h = browserSuite();
const processes: ChildProcess[] = [];
afterEach(() => { for (const child of processes.splice(0)) child.kill('SIGKILL'); });

const blocks = docBlocks();
const all = (predicate: (block: DocBlock) => boolean) => blocks.filter(predicate);
const isPage = (block: DocBlock) => block.lang === 'js' && block.code.includes('registerModuleRelay(') && !block.code.includes('modrelay-client.mjs');
const isWorker = (block: DocBlock) => block.lang === 'js' && block.code.includes('ModuleRelayStrategy');
const isNode = (block: DocBlock) => block.lang === 'js' && block.code.includes("from 'modrelay'") && !isMounted(block);
/** Run by app-shape.test.ts as the app's own worker, in all three setups. */
const isOwnWorker = (block: DocBlock) => block.lang === 'js' && block.code.includes('createModuleRelay');
/** Run by inside-your-server.test.ts: an app's own server with the relay attached. */
const isMounted = (block: DocBlock) => block.lang === 'js' && block.code.includes('attachRelay(');
/** Run by any-server.test.ts, against a real Caddy and a real Express. */
const isServer = (block: DocBlock) => block.lang === 'caddyfile' || (block.lang === 'js' && block.code.includes("from 'modrelay/middleware'"));


const stopped = (child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM') => new Promise<number | null>((resolve) => { child.on('exit', resolve); child.kill(signal); });

describe('every code block of the README and docs/integration.md runs as written', () => {
  test('the blocks are all accounted for', () => {
    const kinds = blocks.map((block) => (
      block.lang === '' ? 'diagram or usage' : block.lang === 'html' ? 'html' : block.lang === 'sh' ? 'sh'
        : isMounted(block) ? 'mounted' : isServer(block) ? 'server' : isOwnWorker(block) ? 'own worker' : isWorker(block) ? 'worker' : isNode(block) ? 'node' : isPage(block) ? 'page' : block.code.includes('modrelay-client.mjs') ? 'relay-only page' : 'unknown'
    ));
    expect(kinds).not.toContain('unknown');
    expect(kinds.filter((kind) => kind === 'page').length).toBeGreaterThanOrEqual(5);
  });

  test('the usage block names only flags the commands have', async () => {
    const usage = blocks.find((block) => block.lang === '' && block.code.startsWith('modrelay serve'))!;
    for (const line of usage.code.trim().split('\n')) {
      const command = line.split(/\s+/)[1]!;
      if (!['serve', 'relay', 'init'].includes(command)) continue;
      const help = await new Promise<string>((resolve) => {
        const child = spawn(process.execPath, [BIN, command, '--help']);
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.on('exit', () => resolve(out));
      });
      for (const flag of line.match(/--[a-z-]+/g) ?? []) if (flag !== '--help') expect({ line, flag, known: help.includes(flag) }).toEqual({ line, flag, known: true });
    }
  });

  test('the shell commands: `npx modrelay serve ./public` and `npm start` start, serve and stop on SIGTERM', async () => {
    const dir = await tempRoot({ 'public/index.html': '<p>public</p>\n' });
    h.defer(() => removeRoot(dir));
    for (const block of all((b) => b.lang === 'sh' && b.code.includes('npx modrelay serve ./public'))) {
      const args = block.code.split('#')[0]!.trim().split(/\s+/).slice(2); // drop `npx modrelay`
      const { child } = await startNode([BIN, ...args], dir, /modrelay serve: http:\/\/127\.0\.0\.1:8080\//, processes);
      expect(await (await fetch('http://127.0.0.1:8080/')).text()).toBe('<p>public</p>\n');
      expect(await stopped(child)).toBe(0);
    }
    const npmStart = spawn('npm', ['start'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    npmStart.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      for (let i = 0; i < 600 && !output.includes('modrelay serve: http://127.0.0.1:8080/'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(output).toContain('modrelay serve: http://127.0.0.1:8080/');
      // The banner comes first: npm's own two lines, then modrelay's.
      expect(output.trim().split('\n').findIndex((line) => line.startsWith('modrelay serve:'))).toBeLessThan(5);
      expect((await fetch('http://127.0.0.1:8080/')).status).toBe(200);
    } finally {
      process.kill(-npmStart.pid!, 'SIGTERM');
      await new Promise((resolve) => npmStart.on('exit', resolve));
      // npm can exit before the serve it started has closed its ports; the next tests bind 8889.
      await portsClosed([8080, 8889]);
    }
  }, 120_000);

  test('the page scripts, each as a boot script: the app runs and the worker controls the page', async () => {
    const html = blocks.find((block) => block.lang === 'html')!.code;
    for (const block of all(isPage)) {
      // A fragment that uses registerModuleRelay without importing it gets the import first.
      const prelude = block.code.includes('import(') ? '' : "const { registerModuleRelay } = await import('/@modrelay/client.mjs');\n";
      const tail = block.code.includes("import('./app.mjs')") ? '' : "await import('./app.mjs');\n";
      const site = await h.site({ 'index.html': html, 'boot.mjs': `${prelude}${block.code}${tail}`, 'app.mjs': APP });
      const server = await serve({ root: site.root, port: 0, relayPort: 8889 });
      h.defer(() => server.close());
      const { page } = await h.page();
      await firstVisit(page, server.url);
      await appResult(page);
      await page.reload();
      expect({ block: block.code.slice(0, 60), ...(await appResult(page)) }).toEqual({ block: block.code.slice(0, 60), ran: true, controlled: true });
      await server.close();
    }
  });

  test('the Node API example runs with node and serves, proxy included', async () => {
    const block = all(isNode)[0]!;
    // Inside the repository, so `import … from 'modrelay'` resolves to this package (self-reference).
    const dir = join(REPO, '.docs-run');
    await mkdir(join(dir, 'public'), { recursive: true });
    h.defer(() => removeRoot(dir));
    await writeFile(join(dir, 'public', 'index.html'), '<p>dev</p>\n');
    await writeFile(join(dir, 'dev.mjs'), block.code);
    const backend = (await import('node:http')).createServer((request, response) => response.end(`backend ${request.url}`));
    await new Promise<void>((resolve) => backend.listen(8888, '127.0.0.1', resolve));
    h.defer(() => new Promise((resolve) => backend.close(resolve)));
    const { child } = await startNode(['dev.mjs'], dir, /open http:\/\/127\.0\.0\.1:8080\//, processes);
    // A reload at a history route (fetch() cannot send the navigation's Sec-Fetch-Mode).
    const route = await new Promise<string>((resolve, reject) => {
      request('http://127.0.0.1:8080/some/route', { headers: { 'sec-fetch-mode': 'navigate' } }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve(body));
      }).on('error', reject).end();
    });
    expect(route).toBe('<p>dev</p>\n');
    expect(await (await fetch('http://127.0.0.1:8080/api/items')).text()).toBe('backend /api/items');
    expect(await stopped(child, 'SIGINT')).toBe(0);
  });

  test('the worker scripts, bundled by Vite with no define: modules are answered by the strategy', async () => {
    for (const block of all(isWorker)) {
      const plain = !block.code.includes('registerRoute(');
      const source = (plain ? `import { ModuleRelayStrategy, moduleRelayMatch } from 'modrelay/strategy';\nconst relayUrl = 'ws://localhost:8889/';\n` : '')
        + block.code.replace("'modrelay/strategy'", JSON.stringify(STRATEGY)).replace(/from 'modrelay\/strategy'/g, `from ${JSON.stringify(STRATEGY)}`)
        + '\nself.addEventListener(\'install\', () => self.skipWaiting());\nself.addEventListener(\'activate\', (event) => event.waitUntil(self.clients.claim()));\n';
      const site = await h.site({ 'boot.mjs': "const { registerModuleRelay } = await import('/@modrelay/client.mjs');\nawait registerModuleRelay({ swUrl: '/your-sw.js', heartbeatMs: 0 });\nawait import('./app.mjs');\n", 'app.mjs': APP });
      const src = await tempRoot({ 'your-sw.js': source }, { prefix: '.modrelay-docs-sw-', under: join(REPO, 'node_modules') });
      h.defer(() => removeRoot(src));
      await build({
        configFile: false, logLevel: 'silent',
        build: { outDir: site.root, emptyOutDir: false, minify: false, lib: { entry: join(src, 'your-sw.js'), formats: ['iife'], name: 'docsSw', fileName: () => 'your-sw.js' } },
      });
      const server = await serve({ root: site.root, port: 0, relayPort: 8889 });
      h.defer(() => server.close());
      const { page, log } = await h.page();
      await page.goto(server.url);
      await appResult(page);
      log.reset();
      await page.reload();
      expect(await appResult(page)).toEqual({ ran: true, controlled: true });
      expect((await log.byPath()).get('/app.mjs')).toMatchObject({ fromSW: true });
      await server.close();
    }
  });
});

/** Resolves once nothing accepts connections on `ports` of 127.0.0.1 (bounded: throws after 10 s). */
async function portsClosed(ports: number[]): Promise<void> {
  const open = (port: number) => new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
    socket.on('error', () => resolve(false));
  });
  await poll(async () => !(await Promise.all(ports.map(open))).includes(true));
}
