import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MISSING_BUILD, readAsset, type AssetName } from '../http/built-files.js';
import { UsageError } from './cli-values.js';

/** What `modrelay init` writes: the built worker and client, under names that cannot clash with the app's. */
const FILES: [AssetName, string][] = [
  ['sw.js', 'modrelay-sw.js'],
  ['sw.js.map', 'modrelay-sw.js.map'],
  ['client.mjs', 'modrelay-client.mjs'],
  ['client.mjs.map', 'modrelay-client.mjs.map'],
];

/** Marks our files, so `init` replaces its own older copies but never an app's file of the same name. */
const OURS = /modrelay/;

/**
 * `modrelay init <public-dir>` (as `msw init` does for its worker): copies modrelay's worker
 * and client into the folder the app's own server serves, then prints the two lines for the
 * boot script. Run it again after upgrading modrelay (the client warns when its copies are
 * older than the running relay).
 */
export async function initPublicDir(dir: string): Promise<void> {
  const target = resolve(dir);
  await mkdir(target, { recursive: true });
  for (const [asset, name] of FILES) {
    const bytes = await readAsset(asset);
    if (bytes === null) throw new UsageError(MISSING_BUILD);
    const file = join(target, name);
    // A map is ours when its script was (the script comes first in FILES).
    if (!name.endsWith('.map') && existsSync(file) && !OURS.test((await readFile(file, 'utf8')).slice(0, 200))) {
      throw new UsageError(`${file} exists and is not modrelay's: move it, or pick another folder`);
    }
    // The bundles name their source maps; the copies have other names.
    const text = bytes.toString('utf8').replace(/sourceMappingURL=(sw\.js|client\.mjs)\.map/, (_m, base: string) => `sourceMappingURL=modrelay-${base === 'sw.js' ? 'sw.js' : 'client.mjs'}.map`);
    await writeFile(file, text);
  }
  console.log(`modrelay init: wrote modrelay-sw.js and modrelay-client.mjs to ${target}
Start the relay for your app's origin, e.g.:
  npx modrelay relay ${dir} --allow-origin http://localhost:3000
and put these two lines first in your boot script (they resolve relative to it: adjust the path if it is not in ${dir}):
  const { registerModuleRelay } = await import('./modrelay-client.mjs');
  await registerModuleRelay({ swUrl: '/modrelay-sw.js', relayUrl: 'ws://127.0.0.1:8889/' });`);
}
