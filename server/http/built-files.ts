import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/**
 * The built browser files `serve` hands out: dist/sw.js, dist/client.mjs, dist/worker.js (the hooks
 * for an app's own worker) and their source maps.
 *
 * This module runs compiled (dist/server/http/built-files.js → ../../sw.js) and, under vitest,
 * from source (server/http/built-files.ts → ../../dist/sw.js); both places are tried. Files are read per request so a
 * rebuild is picked up without a restart.
 */
export type AssetName = 'sw.js' | 'client.mjs' | 'worker.js' | 'sw.js.map' | 'client.mjs.map' | 'worker.js.map';

export function assetFile(name: AssetName): string | null {
  for (const relative of [`../../${name}`, `../../dist/${name}`]) {
    const file = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(file)) return file;
  }
  return null;
}

export const MISSING_BUILD = 'dist/ is missing or incomplete: run `npm run build` in the modrelay folder.';

/** The asset's bytes, or null when it has not been built. */
export async function readAsset(name: AssetName): Promise<Buffer | null> {
  const file = assetFile(name);
  if (file === null) return null;
  try {
    return await readFile(file);
  } catch {
    return null;
  }
}
