/**
 * An app of the shape modrelay was made for (a no-build canvas app): a boot script with a static
 * import; page modules; a module Worker created as `lib/disk.mjs#<timestamp>` that imports its
 * own modules, `import()`s its current piece as `disks/prompt.mjs#<timestamp>` and fetches
 * glyph JSON at `%2F`-encoded paths; an audio worklet; cross-origin isolation (COOP + COEP);
 * and a plain service worker of its own that mounts modrelay with the hooks.
 * `window.__result` says what the page and its Worker saw.
 */
import { docBlock } from './doc-blocks.js';

export const PAGE_MODULES = 12;
export const WORKER_MODULES = 10;
export const GLYPHS = 100;

export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** The app's own service worker: docs/integration.md's block, its modrelay hooks at `hooksUrl`. */
export function appWorker(hooksUrl: string): string {
  return docBlock('// sw.js — your own service worker').code.replace("importScripts('/@modrelay/worker.js');", `importScripts('${hooksUrl}');`);
}

/** The app's files; `clientUrl`: where its boot imports modrelay's client, `relayUrl` when the page must be told. */
export function appShape(options: { clientUrl: string; hooksUrl: string; relayUrl?: string }): Record<string, string> {
  const files: Record<string, string> = {
    'index.html': `<!doctype html><meta charset="utf-8"><title>app shape</title>
<script type="module" src="/boot.mjs"></script><canvas id="screen" width="8" height="8"></canvas><p id="out"></p>`,
    // A static import, as the app's own boot has: it runs before modrelay controls the page.
    'boot.mjs': `import { bios } from './bios.mjs';
const { registerModuleRelay } = await import('${options.clientUrl}');
const relay = await registerModuleRelay({ swUrl: '/sw.js', heartbeatMs: 0${options.relayUrl ? `, relayUrl: '${options.relayUrl}'` : ''} });
window.__modrelay = { status: relay.status, bios, store: relay.store(), stores: [] };
addEventListener('modrelay:store', (event) => window.__modrelay.stores.push(event.detail));
await import('./app.mjs');
`,
    'bios.mjs': "export const bios = 'bios';\n",
    'app.mjs': `${Array.from({ length: PAGE_MODULES }, (_, i) => `import { part${i} } from './lib/part${i}.mjs';`).join('\n')}
const parts = [${Array.from({ length: PAGE_MODULES }, (_, i) => `part${i}`).join(', ')}];
const disk = new Worker('/lib/disk.mjs#' + Date.now(), { type: 'module' });
const fromWorker = new Promise((resolve) => {
  disk.onmessage = (event) => resolve(event.data);
  disk.onerror = (event) => resolve({ error: event.message || 'the Worker failed to load' });
});
let worklet = 'none';
try {
  const audio = new AudioContext();
  await audio.audioWorklet.addModule('/lib/speaker.mjs');
  new AudioWorkletNode(audio, 'speaker');
  worklet = 'ok';
  await audio.close();
} catch (error) {
  worklet = String(error);
}
const own = await fetch('/api/own').then((response) => response.text(), () => 'unreachable');
const worker = await fromWorker;
document.getElementById('out').textContent = 'rendered';
window.__result = {
  parts: parts.length, worker, worklet, own,
  crossOriginIsolated: self.crossOriginIsolated,
  sharedMemory: typeof SharedArrayBuffer === 'function' ? new SharedArrayBuffer(16).byteLength : 0,
};
`,
    'lib/disk.mjs': `${Array.from({ length: WORKER_MODULES }, (_, i) => `import { tool${i} } from './tools/tool${i}.mjs';`).join('\n')}
const tools = [${Array.from({ length: WORKER_MODULES }, (_, i) => `tool${i}`).join(', ')}];
try {
  const piece = await import('/disks/prompt.mjs#' + Date.now());
  const glyphs = await Promise.all(Array.from({ length: ${GLYPHS} }, (_, i) => fetch('/glyphs/lowercase%2F' + i + '.json').then((r) => r.json())));
  postMessage({
    tools: tools.length, piece: piece.name, glyphs: glyphs.filter((glyph, i) => glyph.index === i).length,
    crossOriginIsolated: self.crossOriginIsolated,
    sharedMemory: typeof SharedArrayBuffer === 'function' ? new SharedArrayBuffer(16).byteLength : 0,
  });
} catch (error) {
  postMessage({ error: String(error) });
}
`,
    'disks/prompt.mjs': "import { tool0 } from '../lib/tools/tool0.mjs';\nexport const name = 'prompt' + (tool0 ? '' : '!');\n",
    'lib/speaker.mjs': "registerProcessor('speaker', class extends AudioWorkletProcessor { process() { return false; } });\n",
    'sw.js': appWorker(options.hooksUrl),
  };
  for (let i = 0; i < PAGE_MODULES; i++) files[`lib/part${i}.mjs`] = `export const part${i} = ${i};\n`;
  for (let i = 0; i < WORKER_MODULES; i++) files[`lib/tools/tool${i}.mjs`] = `export const tool${i} = ${i + 1};\n`;
  for (let i = 0; i < GLYPHS; i++) files[`glyphs/lowercase/${i}.json`] = JSON.stringify({ index: i, strokes: [[0, 0, i, i]] });
  return files;
}

/** What a right run of the app shows. */
export const RIGHT = {
  parts: PAGE_MODULES,
  worker: { tools: WORKER_MODULES, piece: 'prompt', glyphs: GLYPHS, crossOriginIsolated: true, sharedMemory: 16 },
  worklet: 'ok',
  own: "the app's own worker",
  crossOriginIsolated: true,
  sharedMemory: 16,
};

/** The page modules a warm, routed load takes from the HTTP cache. */
export const PAGE_PATHS = ['/app.mjs', ...Array.from({ length: PAGE_MODULES }, (_, i) => `/lib/part${i}.mjs`)];
