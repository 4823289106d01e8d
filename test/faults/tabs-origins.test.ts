import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createRelay, type Relay } from '../../server/index.js';
import { launchChromium } from '../../scripts/chromium.js';
import { record, size } from './record.js';
import { startSiteServer, type SiteServer } from './site.js';
import { UpdateLog } from './update-log.js';
import { sha256 } from '../support/sha256.js';
import { removeRoot, tempRoot } from '../support/temp.js';

/**
 * Issue 5, part 5: two tabs share one Service Worker and both hear every change; a page on
 * another origin cannot open the relay (cross-site WebSocket hijacking is refused with 403).
 */
const EDITS = size(3, 10);

const TAB_HTML = `<!doctype html>
<meta charset="utf-8">
<script type="module">
window.__updates = [];
addEventListener('modrelay:update', (e) => window.__updates.push(e.detail));
const { registerModuleRelay } = await import('/@modrelay/client.mjs');
const reg = await registerModuleRelay();
const app = await import('/app/a.mjs');
window.__ready = { status: reg.status, value: app.value, controlled: !!navigator.serviceWorker.controller };
</script>
`;

const ATTACKER_HTML = `<!doctype html>
<meta charset="utf-8">
<script>
window.__attempt = new Promise((resolve) => {
  const ws = new WebSocket(new URLSearchParams(location.search).get('relay'));
  ws.onopen = () => resolve('open');
  ws.onmessage = (e) => resolve('message ' + String(e.data).slice(0, 80));
  ws.onclose = (e) => resolve('closed ' + e.code);
  setTimeout(() => resolve('timeout'), 10000);
});
</script>
`;

/** The HTTP status the relay answers a WebSocket upgrade with, for a given Origin header. */
function upgradeStatus(url: string, origin: string | undefined): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers: origin === undefined ? {} : { origin } });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    ws.on('error', () => resolve(0));
  });
}

describe('several tabs and origins (browser)', () => {
  let root: string;
  let relay: Relay;
  let site: SiteServer;
  let other: SiteServer;
  let browser: Browser;

  beforeAll(async () => {
    root = await tempRoot(
      { 'app/a.mjs': 'export const value = 0;\n', 'index.html': TAB_HTML, 'attacker.html': ATTACKER_HTML },
      { prefix: 'modrelay-faults-tabs-' },
    );
    // The relay allows the site's origin only; `other` is the same files on another port.
    site = await startSiteServer(root, () => relay.url);
    relay = await createRelay({ root, port: 0, allowOrigins: [site.origin] });
    other = await startSiteServer(root, relay.url);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await other?.close();
    await relay?.close();
    await removeRoot(root);
  });

  it(`two tabs share the Service Worker and both receive every modrelay:update (${EDITS} edits)`, async () => {
    const context = await browser.newContext();
    try {
      const tabs: Page[] = [await context.newPage(), await context.newPage()];
      for (const tab of tabs) {
        await tab.goto(`${site.url}index.html`);
        await tab.waitForFunction(() => (window as { __ready?: unknown }).__ready, undefined, { timeout: 30_000 });
      }
      const ready = await Promise.all(tabs.map((t) => t.evaluate(() => (window as { __ready?: { controlled: boolean } }).__ready)));
      // A plain subscriber on the relay tells a watcher miss from a SW/page miss.
      const relayLog = await UpdateLog.open(relay.url);
      const relayHashes = new Set<string>();
      const missing: string[] = [];
      for (let i = 1; i <= EDITS; i++) {
        const body = `export const value = ${i};\n`;
        await writeFile(join(root, 'app/a.mjs'), body);
        const hash = sha256(body);
        for (const [n, tab] of tabs.entries()) {
          const got = await tab
            .waitForFunction(
              (h) => (window as { __updates?: { url: string; hash: string }[] }).__updates?.some((u) => u.url.endsWith('/app/a.mjs') && u.hash === h),
              hash,
              { timeout: 10_000 },
            )
            .then(() => true, () => false);
          if (!got) missing.push(`tab ${n + 1} missed edit ${i}`);
        }
        const word = relayLog.last.get('/app/a.mjs');
        if (word && word !== 'removed' && word.hash === hash) relayHashes.add(hash);
        else missing.push(`edit ${i}: the relay itself never broadcast its hash (last word ${JSON.stringify(word)})`);
      }
      relayLog.close();
      // After the edits, a reload in either tab runs the last version.
      await tabs[1]!.reload();
      const value = await tabs[1]!
        .waitForFunction(() => (window as { __ready?: { value: number } }).__ready?.value, undefined, { timeout: 30_000 })
        .then((h) => h.jsonValue(), () => -1);
      const controllers = ready.filter((r) => r?.controlled).length;
      record({
        area: 'tabs and origins',
        tried: `two tabs of one origin, ${EDITS} edits of a module on disk`,
        times: EDITS * 2,
        happened: `${controllers}/2 tabs controlled by the SW; ${EDITS * 2 - missing.filter((m) => m.startsWith('tab')).length}/${EDITS * 2} modrelay:update events with the new hash; relay broadcast ${relayHashes.size}/${EDITS} new hashes; reload ran value ${value} (want ${EDITS})`,
        pass: missing.length === 0 && controllers === 2 && value === EDITS,
      });
      expect(controllers).toBe(2);
      expect(missing).toEqual([]);
      expect(value).toBe(EDITS);
    } finally {
      await context.close();
    }
  }, 180_000);

  it('a page on another origin cannot open the relay; the relay answers 403', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${other.url}attacker.html?relay=${encodeURIComponent(relay.url)}`);
      const attempt = await page.evaluate(() => (window as { __attempt?: Promise<string> }).__attempt);
      const otherPort = new URL(other.url).port;
      const origins: [string | undefined, number][] = [
        [site.origin, 101],
        [undefined, 101], // non-browser clients (no Origin) are allowed by contract
        [other.origin, 403],
        [`http://localhost:${otherPort}`, 403],
        ['null', 403],
        ['http://evil.example', 403],
        [`http://127.0.0.1.evil.example:${new URL(site.url).port}`, 403],
        [`https://127.0.0.1:${otherPort}`, 403],
      ];
      const wrong: string[] = [];
      for (const [origin, want] of origins) {
        const got = await upgradeStatus(relay.url, origin);
        if (got !== want) wrong.push(`Origin ${origin ?? '(none)'}: ${got}, want ${want}`);
      }
      record({
        area: 'tabs and origins',
        tried: `a page on another origin (${other.origin}) opens the relay; upgrades with ${origins.length} Origin headers`,
        times: 1 + origins.length,
        happened: `browser socket: ${attempt}; ${origins.length - wrong.length}/${origins.length} upgrades answered as expected (allowed 101, others 403)`,
        pass: attempt?.startsWith('closed') === true && wrong.length === 0,
      });
      expect(attempt).toMatch(/^closed/);
      expect(wrong).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
