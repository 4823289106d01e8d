import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { createRelay, type Relay } from '../../server/index.js';
import { auditCaches } from '../faults/cache-audit.js';
import { startFaultProxy } from '../faults/fault-proxy.js';
import { startSiteServer } from '../faults/site.js';
import { ADD_WASM, fontFile, png, wav } from '../support/asset-bytes.js';
import { browserSuite } from '../support/harness.js';
import { idbEntries } from '../support/idb.js';
import { appResult } from '../support/page-log.js';
import { STANDARD_FILES } from '../support/site.js';
import { poll, sleep, waitCached, waitReported } from '../support/wait.js';

/**
 * The whole app, not only its modules: JSON fetched by URL, a JSON module, a CSS module
 * script, a linked stylesheet with a url() font and image, a wasm module instantiated by
 * streaming, an image, an <audio> that seeks (Range), a module Worker whose imports fetch
 * JSON, an AudioWorklet module. Each is answered by the worker at its real URL: from the
 * relay on the first load, from the cache on the reload, and offline the page renders the same.
 */
const APP = `
import moduleData from './data/module.json' with { type: 'json' };
import sheet from './styles/module.css' with { type: 'css' };
document.adoptedStyleSheets = [sheet];
const here = (path) => new URL(path, import.meta.url);
const fetched = await (await fetch(new URL('./data/fetched.json', import.meta.url))).json();

const link = Object.assign(document.createElement('link'), { rel: 'stylesheet', href: here('./styles/linked.css') });
const linked = new Promise((resolve, reject) => { link.onload = resolve; link.onerror = reject; });
document.head.append(link);
await linked;
const img = Object.assign(document.createElement('img'), { id: 'img', width: 40, height: 40, src: here('./img/green.png') });
document.body.append(img);
await img.decode();
await document.fonts.load('16px TestFont', '\\uea60');
const font = [...document.fonts].find((face) => face.family.includes('TestFont'))?.status;

const { instance } = await WebAssembly.instantiateStreaming(fetch(new URL('./wasm/add.wasm', import.meta.url)));
const sum = instance.exports.add(2, 3);

const worker = new Worker(new URL('./worker/w.mjs', import.meta.url), { type: 'module' });
const fromWorker = await new Promise((resolve) => { worker.onmessage = (event) => resolve(event.data); });

const audioContext = new OfflineAudioContext(1, 256, 8000);
await audioContext.audioWorklet.addModule(new URL('./worklet/processor.mjs', import.meta.url));
const node = new AudioWorkletNode(audioContext, 'constant');
node.connect(audioContext.destination);
const rendered = await audioContext.startRendering();
const worklet = rendered.getChannelData(0)[200];

// Both media elements load and seek with Range requests. (The <video> plays an audio-only
// file: no video encoder is at hand here; the element's requests are the same.)
const seek = async (element, url) => {
  element.preload = 'auto';
  element.src = url;
  await new Promise((resolve, reject) => { element.onloadedmetadata = resolve; element.onerror = () => reject(new Error(element.tagName + ': ' + element.error?.message)); });
  element.currentTime = 1.5;
  await new Promise((resolve) => { element.onseeked = resolve; });
  return { duration: element.duration, at: element.currentTime };
};
const media = await seek(new Audio(), here('./media/tone.wav'));
const video = await seek(document.createElement('video'), here('./media/clip.wav'));

window.__result = { moduleData, fetched, font, sum, fromWorker, worklet, media, video };
document.getElementById('out').textContent = JSON.stringify(window.__result);
`;

const FILES: Record<string, string | Uint8Array> = {
  'index.html': `<!doctype html><meta charset="utf-8"><title>assets</title>
<script type="module" src="./boot.mjs"></script>
<body style="margin:0"><div id="linked"></div><div id="module-css"></div><p id="out"></p></body>`,
  'app.mjs': APP,
  'data/module.json': '{"kind":"json module"}',
  'data/fetched.json': '{"kind":"fetched"}',
  'styles/module.css': '#module-css { width: 40px; height: 40px; background: rgb(0, 0, 255); }\n',
  'styles/linked.css': `@font-face { font-family: TestFont; src: url('../fonts/test.ttf'); }
#linked { width: 40px; height: 40px; background: url('../img/red.png'); background-size: cover; }\n`,
  'img/red.png': png([255, 0, 0]),
  'img/green.png': png([0, 255, 0]),
  'fonts/test.ttf': readFileSync(fontFile()),
  'wasm/add.wasm': ADD_WASM,
  'media/tone.wav': wav(3),
  'media/clip.wav': wav(2, 660),
  'worker/w.mjs': `import { label } from './dep.mjs';
const data = await (await fetch(new URL('./worker-data.json', import.meta.url))).json();
postMessage({ label, data });\n`,
  'worker/dep.mjs': `export const label = 'worker dep';\n`,
  'worker/worker-data.json': '{"from":"worker"}',
  'worklet/processor.mjs': `import { LEVEL } from './level.mjs';
registerProcessor('constant', class extends AudioWorkletProcessor {
  process(_inputs, outputs) { outputs[0][0].fill(LEVEL); return true; }
});\n`,
  'worklet/level.mjs': 'export const LEVEL = 0.25;\n',
};

const EXPECTED = {
  moduleData: { kind: 'json module' },
  fetched: { kind: 'fetched' },
  font: 'loaded',
  sum: 5,
  fromWorker: { label: 'worker dep', data: { from: 'worker' } },
  worklet: 0.25,
  media: { duration: 3, at: 1.5 },
  video: { duration: 2, at: 1.5 },
};

/** Every file the app loads, with the type the worker must answer it with. */
const ASSETS: Record<string, string> = {
  '/app.mjs': 'text/javascript; charset=utf-8',
  '/data/module.json': 'application/json; charset=utf-8',
  '/data/fetched.json': 'application/json; charset=utf-8',
  '/styles/module.css': 'text/css; charset=utf-8',
  '/styles/linked.css': 'text/css; charset=utf-8',
  '/img/red.png': 'image/png',
  '/img/green.png': 'image/png',
  '/fonts/test.ttf': 'font/ttf',
  '/wasm/add.wasm': 'application/wasm',
  '/worker/w.mjs': 'text/javascript; charset=utf-8',
  '/worker/dep.mjs': 'text/javascript; charset=utf-8',
  '/worker/worker-data.json': 'application/json; charset=utf-8',
  '/worklet/processor.mjs': 'text/javascript; charset=utf-8',
  '/worklet/level.mjs': 'text/javascript; charset=utf-8',
};
/**
 * Neither Playwright (responses, routes) nor DevTools' Network domain sees a worklet's
 * requests. So the HTTP server refuses them: the worklet can only run if the worker answered
 * its imports (from the relay, then from the cache).
 */
const WORKLET = ['/worklet/processor.mjs', '/worklet/level.mjs'];
const MEDIA = '/media/tone.wav';
const VIDEO = '/media/clip.wav';

const h = browserSuite();

/** The pixels a user sees: the linked stylesheet's image, the CSS module's colour, the <img>. */
async function pixels(page: Page): Promise<Buffer> {
  return page.screenshot({ clip: { x: 0, y: 0, width: 40, height: 120 } });
}

/** The app under `serve`, loaded once (the worker controls it from here on). */
async function loaded() {
  const site = await h.site(FILES);
  const server = await h.serve(site.root);
  const { page } = await h.page();
  await page.goto(server.url);
  await appResult(page);
  return { site, server, page };
}

async function served(page: Page, url: string): Promise<{ type: string | null; source: string | null; status: number; bytes: number }> {
  return page.evaluate(async (target) => {
    const response = await fetch(target);
    return { type: response.headers.get('content-type'), source: response.headers.get('x-modrelay-source'), status: response.status, bytes: (await response.arrayBuffer()).byteLength };
  }, url);
}

describe('the whole app through the worker', () => {
  test('every asset type: relay on the first load, cache on the reload, right bytes and type; offline renders the same', async () => {
    const site = await h.site(FILES);
    let workletOverHttp = 0;
    let relay: Relay | undefined;
    const server = await startSiteServer(site.root, () => relay!.url, (path) => path.startsWith('/worklet/') && ++workletOverHttp > 0);
    h.defer(() => server.close());
    relay = await createRelay({ root: site.root, port: 0, allowOrigins: [server.origin] });
    h.defer(() => relay!.close());
    const { context, page, log } = await h.page();

    await page.goto(server.url);
    expect(await appResult(page)).toEqual(EXPECTED);
    const first = await log.byPath();
    for (const path of Object.keys(ASSETS).filter((path) => !WORKLET.includes(path))) {
      expect({ path, fromSW: first.get(path)?.fromSW, source: first.get(path)?.source }).toEqual({ path, fromSW: true, source: 'relay' });
    }
    // The media element asked for ranges: answered by the worker too (from the network the
    // first time, while the whole file is fetched over the relay for the next load).
    expect(first.get(MEDIA)?.fromSW).toBe(true);
    expect(first.get(VIDEO)?.fromSW).toBe(true);

    await waitCached(page, [...Object.keys(ASSETS), MEDIA, VIDEO, '/', '/boot.mjs']);
    log.reset();
    await page.reload();
    expect(await appResult(page)).toEqual(EXPECTED);
    const second = await log.byPath();
    for (const path of Object.keys(ASSETS).filter((path) => !WORKLET.includes(path))) {
      expect({ path, fromSW: second.get(path)?.fromSW, source: second.get(path)?.source }).toEqual({ path, fromSW: true, source: 'cache' });
    }
    expect(second.get(MEDIA)).toMatchObject({ fromSW: true, source: 'cache', status: 206 });
    expect(second.get(VIDEO)).toMatchObject({ fromSW: true, source: 'cache', status: 206 });
    expect(workletOverHttp).toBe(0);
    for (const [path, type] of Object.entries(ASSETS)) {
      const answer = await served(page, `${server.url}${path.slice(1)}`);
      const bytes = FILES[path.slice(1)]!;
      expect({ path, ...answer }).toEqual({ path, type, source: 'cache', status: 200, bytes: typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.byteLength });
    }
    const online = await pixels(page);
    const onlineText = await page.textContent('#out');

    await Promise.all([server.close(), relay.close()]);
    await context.setOffline(true);
    expect(await page.evaluate((url) => fetch(url, { cache: 'no-store' }).then(() => 'reached', () => 'failed'), `${server.url}data/fetched.json?probe`)).toBe('failed');
    await page.reload();
    expect(await appResult(page)).toEqual(EXPECTED);
    expect(await page.textContent('#out')).toBe(onlineText);
    expect((await pixels(page)).equals(online)).toBe(true);
  });

  test('under modrelay serve: relay then cache, and with both servers stopped the page renders the same', async () => {
    const site = await h.site(FILES);
    const server = await h.serve(site.root);
    const { context, page, log } = await h.page();
    await page.goto(server.url);
    expect(await appResult(page)).toEqual(EXPECTED);
    expect((await log.byPath()).get('/data/fetched.json')).toMatchObject({ fromSW: true, source: 'relay' });
    await waitCached(page, [...Object.keys(ASSETS), MEDIA, '/', '/boot.mjs']);
    log.reset();
    await page.reload();
    expect(await appResult(page)).toEqual(EXPECTED);
    const second = await log.byPath();
    for (const path of ['/data/fetched.json', '/styles/linked.css', '/wasm/add.wasm', '/img/green.png']) {
      expect({ path, ...second.get(path) }).toMatchObject({ path, fromSW: true, source: 'cache' });
    }
    const online = await pixels(page);
    await server.close();
    await context.setOffline(true);
    await page.reload();
    expect(await appResult(page)).toEqual(EXPECTED);
    expect((await pixels(page)).equals(online)).toBe(true);
  });

  test("store: 'http-cache': warm loads take the page's assets from the HTTP cache, a worker's own loads come from the worker, offline renders the same", async () => {
    const site = await h.site(FILES);
    const server = await h.serve(site.root);
    const { context, page, log } = await h.page();
    const url = `${server.url}?store=http-cache`;
    await page.goto(url);
    expect(await appResult(page)).toEqual(EXPECTED);
    // The page's own files, reported to the worker and copied: everything but the worker's fetch.
    const copied = Object.keys(ASSETS).filter((path) => !WORKLET.includes(path) && path !== '/worker/worker-data.json');
    await poll(async () => {
      const records = new Map(await idbEntries<{ hash: string | null }>(page, 'modrelay-http-cache', 'copies'));
      return copied.every((path) => typeof records.get(`${server.url}${path.slice(1)}`)?.hash === 'string');
    });
    await page.reload();
    expect(await appResult(page)).toEqual(EXPECTED);
    await waitReported(page); // the page reports its loads once they go quiet: let that land
    log.reset();
    await page.reload();
    expect(await appResult(page)).toEqual(EXPECTED);
    const timings = await page.evaluate(() => Object.fromEntries((performance.getEntriesByType('resource') as (PerformanceResourceTiming & { deliveryType: string })[])
      .map((entry) => [new URL(entry.name).pathname, { delivery: entry.deliveryType, transferSize: entry.transferSize }])));
    for (const path of copied) expect({ path, ...timings[path] }).toEqual({ path, delivery: 'cache', transferSize: 0 });
    // Static routes do not apply to a dedicated worker's own requests (Chromium 156): the worker answers them.
    expect((await log.byPath()).get('/worker/worker-data.json')).toMatchObject({ fromSW: true, source: 'cache' });
    const online = await pixels(page);

    await site.write('data/fetched.json', '{"kind":"edited"}');
    await poll(() => page.evaluate(() => (window as unknown as { __modrelay: { updates: { url: string }[] } }).__modrelay.updates.some((u) => u.url.endsWith('/data/fetched.json'))));
    await page.reload();
    expect(await appResult(page)).toMatchObject({ fetched: { kind: 'edited' } });
    await waitReported(page);

    await server.close();
    await context.setOffline(true);
    await page.reload();
    expect(await appResult(page)).toEqual({ ...EXPECTED, fetched: { kind: 'edited' } });
    expect((await pixels(page)).equals(online)).toBe(true);
  });

  test('relay down and a proxy breaking HTTP: no asset is ever cached broken', async () => {
    const site = await h.site(FILES);
    const server = await h.serve(site.root);
    await server.relay.close();
    const bootstrap = new Set(['/', '/index.html', '/boot.mjs', '/sw.js', '/@modrelay/client.mjs']);
    const proxy = await startFaultProxy({
      target: server.url.replace(/\/$/, ''), seed: 0xa55e7, rate: 0.5, kinds: ['truncate', 'chunked', 'reset'],
      faultable: (path) => !bootstrap.has(path),
    });
    h.defer(() => proxy.close());
    const { page } = await h.page();
    for (let i = 0; i < 3; i++) {
      await page.goto(proxy.url);
      await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result !== undefined || document.readyState === 'complete');
      await sleep(500);
    }
    const faults = Object.values(proxy.stats.faults).reduce((a, b) => a + b, 0);
    expect(faults).toBeGreaterThan(0);
    // Not vacuous: assets that came through whole were cached (and checked against the disk).
    // The worker writes Cache Storage once the loads are over: wait (bounded) for some.
    let audit = await auditCaches(page, site.root);
    await poll(async () => {
      audit = await auditCaches(page, site.root);
      return audit.entries.some((entry) => !bootstrap.has(new URL(entry.url).pathname));
    });
    expect(audit.bad).toEqual([]);
  });

  test('a Range request gets a correct 206 from the cached body', async () => {
    const { server, page } = await loaded();
    await waitCached(page, [MEDIA]);
    const whole = FILES['media/tone.wav'] as Uint8Array;
    const answers = await page.evaluate(async (url) => Promise.all(['bytes=0-99', 'bytes=100-', 'bytes=-50', 'bytes=99999999-'].map(async (range) => {
      const response = await fetch(url, { headers: { range } });
      return { range, status: response.status, contentRange: response.headers.get('content-range'), source: response.headers.get('x-modrelay-source'), body: [...new Uint8Array(await response.arrayBuffer())] };
    })), `${server.url}media/tone.wav`);
    const size = whole.byteLength;
    expect(answers.map(({ body, ...rest }) => ({ ...rest, length: body.length }))).toEqual([
      { range: 'bytes=0-99', status: 206, contentRange: `bytes 0-99/${size}`, source: 'cache', length: 100 },
      { range: 'bytes=100-', status: 206, contentRange: `bytes 100-${size - 1}/${size}`, source: 'cache', length: size - 100 },
      { range: 'bytes=-50', status: 206, contentRange: `bytes ${size - 50}-${size - 1}/${size}`, source: 'cache', length: 50 },
      { range: 'bytes=99999999-', status: 416, contentRange: `bytes */${size}`, source: 'cache', length: 0 },
    ]);
    expect(Buffer.from(answers[0]!.body).equals(Buffer.from(whole.subarray(0, 100)))).toBe(true);
    expect(Buffer.from(answers[2]!.body).equals(Buffer.from(whole.subarray(size - 50)))).toBe(true);
  });

  test('edits reach the page: JSON and CSS as modrelay:update, a linked stylesheet swapped without a reload, index.html as a page update', async () => {
    const { site, page } = await loaded();
    const updates = () => page.evaluate(() => (window as unknown as { __modrelay: { updates: { url: string }[] } }).__modrelay.updates.map((u) => new URL(u.url).pathname));
    await page.evaluate(() => { (window as unknown as { __loads: number }).__loads = 1; });

    await site.write('data/fetched.json', '{"kind":"edited"}');
    await poll(async () => (await updates()).includes('/data/fetched.json'));
    await site.write('styles/linked.css', (FILES['styles/linked.css'] as string).replace("url('../img/red.png')", "url('../img/green.png')"));
    await poll(async () => (await updates()).includes('/styles/linked.css'));
    // Swapped in place: the same page (no reload), now green where it was red.
    await poll(() => page.evaluate(() => getComputedStyle(document.getElementById('linked')!).backgroundImage.includes('green.png')));
    expect(await page.evaluate(() => (window as unknown as { __loads?: number }).__loads)).toBe(1);
    await site.write('index.html', (FILES['index.html'] as string).replace('<title>assets</title>', '<title>edited</title>'));
    await poll(async () => (await updates()).includes('/index.html'));

    await page.reload();
    expect(await appResult(page)).toMatchObject({ fetched: { kind: 'edited' } });
    expect(await page.title()).toBe('edited');
  });

  test('with reloadOnUpdate an edit of index.html reloads the page, a stylesheet edit does not', async () => {
    const files: Record<string, string | Uint8Array> = { ...FILES, 'boot.mjs': STANDARD_FILES['boot.mjs']!.replace('heartbeatMs: 0,', 'heartbeatMs: 0, reloadOnUpdate: true,') };
    const site = await h.site(files);
    const server = await h.serve(site.root);
    const { page } = await h.page();
    await page.goto(server.url);
    await appResult(page);
    await page.evaluate(() => { (window as unknown as { __marker: boolean }).__marker = true; });
    await site.write('styles/module.css', '#module-css { width: 40px; height: 40px; background: rgb(0, 0, 200); }\n');
    // A CSS module script is not a <link>: it reloads. The marker tells.
    await poll(() => page.evaluate(() => (window as unknown as { __marker?: boolean }).__marker === undefined).catch(() => false));
    await appResult(page);
    await page.evaluate(() => { (window as unknown as { __marker: boolean }).__marker = true; });
    await site.write('styles/linked.css', (files['styles/linked.css'] as string).replace('red.png', 'green.png'));
    await poll(() => page.evaluate(() => getComputedStyle(document.getElementById('linked')!).backgroundImage.includes('green.png')));
    expect(await page.evaluate(() => (window as unknown as { __marker?: boolean }).__marker)).toBe(true);
    await site.write('index.html', (files['index.html'] as string).replace('<title>assets</title>', '<title>reloaded</title>'));
    await poll(() => page.title().then((title) => title === 'reloaded').catch(() => false));
  });
});
