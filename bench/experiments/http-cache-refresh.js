#!/usr/bin/env node
// @ts-check
/**
 * Experiment, not part of `npm run bench`: can the page replace one module in the
 * browser's HTTP cache, so modules could be served `immutable` (the floor's speed, V8 code
 * cache included) and still never be stale? A module is served with a one-year immutable
 * max-age; it is edited on disk; a plain reload still runs the old version (no request);
 * after `fetch(url, { cache: 'reload' })` from the page, the next reload runs the new one.
 *
 *   node bench/experiments/http-cache-refresh.js
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import sirv from 'sirv';
import { launchChromium } from '../../scripts/chromium.js';

const root = await mkdtemp(path.join(os.tmpdir(), 'modrelay-http-refresh-'));
await mkdir(path.join(root, 'lib'));
const moduleFile = path.join(root, 'lib', 'a.mjs');
await writeFile(moduleFile, 'export const version = 1;\n');
await writeFile(path.join(root, 'index.html'),
  `<!doctype html><script type="module">window.__v = (await import('/lib/a.mjs')).version;</script>\n`);

let moduleRequests = 0;
// dev: true so sirv reads the file as it is now, not as it was at start-up.
const files = sirv(root, {
  dev: true,
  setHeaders: (res, pathname) => res.setHeader('Cache-Control', pathname.endsWith('.mjs') ? 'public, max-age=31536000, immutable' : 'no-cache'),
});
const server = http.createServer((req, res) => {
  if (req.url?.endsWith('.mjs')) moduleRequests++;
  files(req, res);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
const url = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}/`;
const browser = await launchChromium();
try {
  const page = await (await browser.newContext()).newPage();
  const version = async () => (await page.waitForFunction(() => /** @type {any} */ (window).__v, undefined, { polling: 50 })).jsonValue();
  /** @param {string} step @param {number} v */
  const show = (step, v) => console.log(`${step.padEnd(44)} version ${v}, module requests so far ${moduleRequests}`);
  await page.goto(url);
  show('first load', await version());
  await page.reload();
  show('reload', await version());
  await writeFile(moduleFile, 'export const version = 2;\n');
  await page.reload();
  show('edit on disk, reload (stale, as expected)', await version());
  await page.evaluate(() => fetch('/lib/a.mjs', { cache: 'reload' }).then((r) => r.text()));
  await page.reload();
  show("fetch(url, { cache: 'reload' }), then reload", await version());
} finally {
  await browser.close();
  server.close();
  await rm(root, { recursive: true, force: true });
}
