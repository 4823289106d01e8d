// @ts-check
/**
 * The third benchmark graph: shaped like a real no-build app, not a library. A page module
 * that loads 24 UI modules, two JSON files and a stylesheet, and starts a module Worker (as
 * `worker/main.mjs#<time>`, the way the app modrelay comes from starts its own) that imports 24
 * modules of its own — the part of a real app that Service Worker static routes do not reach in
 * Chromium — and its current piece with `import('./piece.mjs#<time>')`; the entry resolves once
 * the worker has loaded and answered. 51 modules in all. Every server sends the app with
 * `APP_HEADERS`, cross-origin isolation, so the Worker's script must carry them too. Written by
 * code, so the bench needs no fixture files.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

const UI = 24;
const WORKER = 24;

/** What an app needs for `SharedArrayBuffer`: every server of the bench sends these with the app's files. */
export const APP_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** Two modules per level import the next level: a tree a few levels deep, like components. */
const uiModule = (/** @type {number} */ i) => {
  const deps = [2 * i + 1, 2 * i + 2].filter((d) => d < UI);
  return `${deps.map((d) => `import { part${d} } from './part${d}.mjs';`).join('\n')}
export function part${i}(state) {
  const children = [${deps.map((d) => `part${d}(state)`).join(', ')}];
  return { id: ${i}, label: state.labels[${i} % state.labels.length], children };
}
`;
};

const workerModule = (/** @type {number} */ i) => `${i + 1 < WORKER ? `import { step${i + 1} } from './step${i + 1}.mjs';\n` : ''}export function step${i}(n) {
  let x = n;
  for (let k = 0; k < 100; k++) x = (x * 31 + ${i}) % 1000003;
  return ${i + 1 < WORKER ? `step${i + 1}(x)` : 'x'};
}
`;

/**
 * Writes the app under `dir` (its mount folder).
 * @param {string} dir
 */
export async function writeAppGraph(dir) {
  await mkdir(path.join(dir, 'ui'), { recursive: true });
  await mkdir(path.join(dir, 'worker'), { recursive: true });
  await mkdir(path.join(dir, 'data'), { recursive: true });
  for (let i = 0; i < UI; i++) await writeFile(path.join(dir, 'ui', `part${i}.mjs`), uiModule(i));
  for (let i = 0; i < WORKER; i++) await writeFile(path.join(dir, 'worker', `step${i}.mjs`), workerModule(i));
  await writeFile(path.join(dir, 'worker', 'main.mjs'), `import { step0 } from './step0.mjs';
const { piece } = await import('./piece.mjs#' + Date.now());
postMessage(step0(7) + piece + (self.crossOriginIsolated ? 0 : NaN));
`);
  await writeFile(path.join(dir, 'worker', 'piece.mjs'), 'export const piece = 1;\n');
  await writeFile(path.join(dir, 'data', 'config.json'), JSON.stringify({ labels: ['one', 'two', 'three'], theme: 'light' }, null, 2));
  await writeFile(path.join(dir, 'data', 'items.json'), JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item ${i}` }))));
  await writeFile(path.join(dir, 'app.css'), Array.from({ length: 60 }, (_, i) => `.part${i} { margin: ${i % 7}px; color: #${(i * 4099).toString(16).padStart(6, '0').slice(0, 6)}; }`).join('\n'));
  await writeFile(path.join(dir, 'main.mjs'), `import { part0 } from './ui/part0.mjs';
const json = (name) => fetch(new URL(\`./data/\${name}.json\`, import.meta.url)).then((response) => response.json());
const stylesheet = new Promise((resolve, reject) => {
  const link = Object.assign(document.createElement('link'), { rel: 'stylesheet', href: new URL('./app.css', import.meta.url).href });
  link.onload = resolve;
  link.onerror = reject;
  document.head.append(link);
});
const worker = new Worker(new URL('./worker/main.mjs', import.meta.url) + '#' + Date.now(), { type: 'module' });
const computed = new Promise((resolve, reject) => { worker.onmessage = (event) => resolve(event.data); worker.onerror = reject; });
const [config, items, result] = await Promise.all([json('config'), json('items'), computed, stylesheet]);
if (!self.crossOriginIsolated || Number.isNaN(result)) throw new Error('the app is not cross-origin isolated');
export const app = { tree: part0(config), items: items.length, result };
`);
}
