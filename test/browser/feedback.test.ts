import type { ConsoleMessage, Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { createRelay, type Relay } from '../../server/index.js';
import { startSiteServer } from '../faults/site.js';
import { browserSuite } from '../support/harness.js';
import { appResult } from '../support/page-log.js';
import { lyingRelay } from '../support/lying-relay.js';
import { STANDARD_FILES } from '../support/site.js';
import { poll } from '../support/wait.js';

/**
 * What a developer sees in the browser console: a line per change, the reason the worker
 * cannot reach the relay (with the fix), and the file and line of a module that fails to parse.
 */
const FILES = {
  'app.mjs': `import { value } from './lib/value.mjs';\nwindow.__result = { value };\n`,
  'lib/value.mjs': `export const value = 'v1';\n`,
};

const h = browserSuite();

function consoleLines(page: Page): string[] {
  const lines: string[] = [];
  page.on('console', (message: ConsoleMessage) => lines.push(`${message.type()}: ${message.text()}`));
  return lines;
}

const relayState = (page: Page) => page.evaluate(() => (window as unknown as { __relay?: { relayState(): string } }).__relay?.relayState());

/** The standard boot, keeping the registration where the test can ask it. */
const BOOT = STANDARD_FILES['boot.mjs']!.replace('window.__modrelay = {', 'window.__relay = relay;\nwindow.__modrelay = {');

describe('feedback in the browser console', () => {
  test('an edit prints one [modrelay] line', async () => {
    const site = await h.site({ ...FILES, 'boot.mjs': BOOT });
    const server = await h.serve(site.root);
    const { page } = await h.page();
    const lines = consoleLines(page);
    await page.goto(server.url);
    expect(await appResult(page)).toEqual({ value: 'v1' });
    await poll(async () => (await relayState(page)) === 'connected');
    await site.write('lib/value.mjs', `export const value = 'v2';\n`);
    await poll(async () => lines.includes('info: [modrelay] updated /lib/value.mjs'));
  });

  test('a relay that refuses the page\'s origin says so, with the flag that fixes it; a relay that is down says that', async () => {
    const site = await h.site({ ...FILES, 'boot.mjs': BOOT });
    let relay: Relay | undefined;
    const server = await startSiteServer(site.root, () => relay!.url);
    h.defer(() => server.close());
    relay = await createRelay({ root: site.root, port: 0, allowOrigins: ['http://localhost:3000'] });
    h.defer(() => relay!.close());
    const { page } = await h.page();
    const lines = consoleLines(page);
    await page.goto(server.url);
    expect(await appResult(page)).toEqual({ value: 'v1' }); // over plain HTTP: never worse
    await poll(async () => (await relayState(page)) === 'origin-refused');
    expect(lines.some((line) => line.startsWith('warning: [modrelay]') && line.includes(`start it with --allow-origin ${server.origin}`))).toBe(true);

    await relay.close();
    await page.reload();
    await appResult(page);
    await poll(async () => (await relayState(page)) === 'relay-unreachable');
    expect(lines.some((line) => line.startsWith('warning: [modrelay]') && line.includes('is unreachable'))).toBe(true);
  });

  test('a relay of another modrelay version makes the page warn once, naming all three versions', async () => {
    const site = await h.site(FILES);
    const server = await h.serve(site.root);
    const relay = await lyingRelay('x', 'x', '0.0.1-other');
    h.defer(() => relay.close());
    const { page } = await h.page();
    const lines = consoleLines(page);
    await page.goto(`${server.url}?relay=${encodeURIComponent(relay.url)}`);
    await appResult(page);
    await poll(async () => lines.some((line) => line.includes('[modrelay] versions differ')));
    const warning = lines.filter((line) => line.includes('versions differ'));
    expect(warning).toHaveLength(1);
    expect(warning[0]).toMatch(/^warning: \[modrelay\] versions differ: client \d+\.\d+\.\d+, worker \d+\.\d+\.\d+, relay 0\.0\.1-other\./);
  });

  test('a module that fails to parse is reported with its file and line, in the console and an overlay', async () => {
    const site = await h.site({
      'index.html': `<!doctype html><meta charset="utf-8"><script type="module" src="./boot.mjs"></script><body></body>`,
      // The app as a module script: the browser reports its parse error with file and line
      // (a dynamic import() rejects with the message only; DevTools still shows where).
      'boot.mjs': `const { registerModuleRelay } = await import('/@modrelay/client.mjs');
await registerModuleRelay({ heartbeatMs: 0 });
document.head.append(Object.assign(document.createElement('script'), { type: 'module', src: './app.mjs' }));\n`,
      'app.mjs': `import { broken } from './lib/broken.mjs';\nconsole.log(broken);\n`,
      'lib/broken.mjs': `export const fine = 1;\nexport const broken = ;\n`,
    });
    const server = await h.serve(site.root);
    const { page } = await h.page();
    const lines = consoleLines(page);
    await page.goto(server.url);
    await poll(async () => lines.some((line) => line.startsWith('error: [modrelay] the app failed to load')));
    const report = lines.find((line) => line.startsWith('error: [modrelay] the app failed to load'))!;
    expect(report).toContain('SyntaxError');
    expect(report).toContain('/lib/broken.mjs:2');
    expect(await page.textContent('#modrelay-error')).toContain('/lib/broken.mjs:2');
  });
});
