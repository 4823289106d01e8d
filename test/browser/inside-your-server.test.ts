import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { docBlocks } from '../support/doc-blocks.js';
import { startNode } from '../support/node-process.js';
import { browserSuite } from '../support/harness.js';
import { appResult } from '../support/page-log.js';
import { removeRoot } from '../support/temp.js';

/**
 * docs/inside-your-server.md as written: each server block (plain `http` with the app's own
 * socket, Express, Fastify) runs with node from a folder inside the repository (so `import …
 * from 'modrelay'` is this package), with the page's boot block of the same doc; in Chromium the
 * page is controlled, its modules come from the relay mounted on the app's own port, then from
 * the cache.
 */
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const blocks = docBlocks().filter((block) => block.file === 'docs/inside-your-server.md');
const servers = blocks.filter((block) => block.lang === 'js' && block.code.includes('attachRelay('));
const boot = blocks.find((block) => block.code.startsWith('// public/boot.mjs'))!.code;

const h = browserSuite();
const processes: ChildProcess[] = [];
afterEach(() => { for (const child of processes.splice(0)) child.kill('SIGKILL'); });


describe('docs/inside-your-server.md runs as written', () => {
  test('the doc has a plain http, an Express and a Fastify server', () => {
    expect(servers.map((block) => block.code.split('\n')[0])).toEqual(['// server.mjs — the app\'s own server, with modrelay\'s relay inside', '// express-server.mjs', '// fastify-server.mjs']);
  });

  for (const block of servers) {
    const name = block.code.split('\n')[0]!.replace('// ', '').split(' ')[0]!;
    test(`${name}: the page is controlled, its modules come over the app's own port from the relay, then from the cache`, async () => {
      const dir = join(REPO, '.docs-run-inside', name.replace('.mjs', ''));
      h.defer(() => removeRoot(dir));
      await mkdir(join(dir, 'public', 'lib'), { recursive: true });
      await writeFile(join(dir, name), block.code);
      await writeFile(join(dir, 'public', 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="./boot.mjs"></script>\n');
      await writeFile(join(dir, 'public', 'boot.mjs'), boot);
      await writeFile(join(dir, 'public', 'app.mjs'), "import { value } from './lib/value.mjs';\nwindow.__result = { value, controlled: !!navigator.serviceWorker.controller };\n");
      await writeFile(join(dir, 'public', 'lib', 'value.mjs'), "export const value = 'v1';\n");
      await startNode([name], dir, /open http:\/\/127\.0\.0\.1:8080\//, processes);
      const { page, log } = await h.page();
      await page.goto('http://127.0.0.1:8080/');
      expect(await appResult(page)).toEqual({ value: 'v1', controlled: true });
      expect((await log.byPath()).get('/lib/value.mjs')).toMatchObject({ status: 200, fromSW: true, source: 'relay' });
      const relay = await page.evaluate(() => new URL(navigator.serviceWorker.controller!.scriptURL).searchParams.get('relay'));
      expect(relay).toBe('ws://127.0.0.1:8080/ws/modules');
      log.reset();
      await page.reload();
      expect(await appResult(page)).toEqual({ value: 'v1', controlled: true });
      const warm = (await log.byPath()).get('/lib/value.mjs');
      // The worker's own cache, or (the routed version) the HTTP cache with no fetch handler.
      expect(warm?.fromSW === false || warm?.source === 'cache', JSON.stringify(warm)).toBe(true);
      if (block.code.includes('/ws/session')) {
        expect(await page.evaluate(() => new Promise<string>((resolve, reject) => {
          const socket = new WebSocket(`ws://${location.host}/ws/session`);
          socket.onopen = () => socket.send('hi');
          socket.onmessage = (event) => resolve(String(event.data));
          socket.onerror = () => reject(new Error('session socket failed'));
        }))).toBe('echo hi');
      }
    });
  }
});
