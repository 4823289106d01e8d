import { existsSync } from 'node:fs';
import { readdir, readFile, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { RELAY_PORT } from '../../protocol/defaults.js';
import { MISSING_BUILD, readAsset, type AssetName } from '../http/built-files.js';
import { UsageError } from './cli-values.js';

/** What `modrelay init` writes: the built worker, client and hooks, under names that cannot clash with the app's. */
const FILES: [AssetName, string][] = [
  ['sw.js', 'modrelay-sw.js'],
  ['sw.js.map', 'modrelay-sw.js.map'],
  ['client.mjs', 'modrelay-client.mjs'],
  ['client.mjs.map', 'modrelay-client.mjs.map'],
  ['worker.js', 'modrelay-worker.js'],
  ['worker.js.map', 'modrelay-worker.js.map'],
];
const BOOT = 'modrelay-boot.mjs';

/** Marks our files, so `init` replaces its own older copies but never an app's file of the same name. */
const OURS = /modrelay/;
/** What a service worker script of the app's own does, read from its first lines. */
const WORKER_SCRIPT = /addEventListener\(\s*['"](fetch|install)['"]|importScripts\(|clients\.claim\(/;

/**
 * `modrelay init <public-dir> [--entry ./app.mjs]` (as `msw init` does for its worker): copies
 * modrelay's worker, client and hooks into the folder the app's own server serves, and writes a
 * boot file that registers modrelay and only then imports the app's entry — a static import
 * would run before the worker controls the page, and the first visit's modules would come over
 * plain HTTP. An app that has its own service worker is told how to mount modrelay inside it,
 * never given a second worker that would replace its own. Run it again after upgrading modrelay.
 */
export async function initPublicDir(dir: string, entry?: string): Promise<void> {
  const target = resolve(dir);
  await mkdir(target, { recursive: true });
  for (const [asset, name] of FILES) {
    const bytes = await readAsset(asset);
    if (bytes === null) throw new UsageError(MISSING_BUILD);
    const file = join(target, name);
    // A map is ours when its script was (the script comes first in FILES).
    if (!name.endsWith('.map')) await refuseForeign(file);
    // The bundles name their source maps; the copies have other names.
    const text = bytes.toString('utf8').replace(/sourceMappingURL=(sw\.js|client\.mjs|worker\.js)\.map/, (_m, base: string) => `sourceMappingURL=modrelay-${base}.map`);
    await writeFile(file, text);
  }
  const relayUrl = `ws://127.0.0.1:${RELAY_PORT}/`;
  const appWorker = await ownWorker(target);
  const register = appWorker
    ? `await registerModuleRelay({ swUrl: '/${appWorker}', relayUrl: '${relayUrl}' });`
    : `await registerModuleRelay({ swUrl: '/modrelay-sw.js', relayUrl: '${relayUrl}' });`;
  const boot = [
    `// ${BOOT}: written by \`modrelay init\`. The page's one module script: modrelay first, then the app.`,
    "const { registerModuleRelay } = await import('./modrelay-client.mjs');",
    register,
    `await import('${entry ?? './app.mjs'}');`,
    '',
  ].join('\n');
  if (entry !== undefined) {
    await refuseForeign(join(target, BOOT));
    await writeFile(join(target, BOOT), boot);
  }
  console.log(`modrelay init: wrote ${FILES.filter(([, name]) => !name.endsWith('.map')).map(([, name]) => name).join(', ')}${entry !== undefined ? ` and ${BOOT}` : ''} to ${target}
Start the relay for your app's origin, e.g.:
  npx modrelay relay ${dir} --allow-origin http://localhost:3000
${entry !== undefined
    ? `and load ${BOOT} in your page in place of your entry script:
  <script type="module" src="/${BOOT}"></script>`
    : `and make this your page's one module script (modrelay-boot.mjs; \`modrelay init ${dir} --entry ./app.mjs\` writes it). Import your app
after registerModuleRelay(), never statically: a static import runs before the worker controls the page.
${boot.split('\n').slice(1).map((line) => `  ${line}`).join('\n')}`}${appWorker ? `
Your app has its own service worker (${appWorker}): modrelay's is not registered beside it (a scope has one worker).
Mount modrelay inside yours instead — at its top:
  importScripts('/modrelay-worker.js');
  const relay = modrelay.createModuleRelay();
  self.addEventListener('install', (event) => event.waitUntil(relay.install(event)));
  self.addEventListener('activate', (event) => event.waitUntil(relay.activate(event)));
  self.addEventListener('fetch', (event) => { if (relay.fetch(event)) return; /* your own handling */ });
  self.addEventListener('message', (event) => { if (relay.message(event)) return; /* yours */ });` : ''}`);
}

async function refuseForeign(file: string): Promise<void> {
  if (existsSync(file) && !OURS.test((await readFile(file, 'utf8')).slice(0, 200))) {
    throw new UsageError(`${file} exists and is not modrelay's: move it, or pick another folder`);
  }
}

/** The app's own service worker at the top of the folder (sw.js, service-worker.js, …), if it has one. */
async function ownWorker(dir: string): Promise<string | null> {
  for (const name of (await readdir(dir)).sort()) {
    if (!/\.m?js$/.test(name) || name.startsWith('modrelay-')) continue;
    const text = (await readFile(join(dir, name), 'utf8').catch(() => '')).slice(0, 20_000);
    if (/worker/i.test(name) || /^sw\./.test(name) ? WORKER_SCRIPT.test(text) : false) return name;
  }
  return null;
}
