import { readFileSync } from 'node:fs';

/**
 * modrelay's own version, from its package.json: the CLI prints it, the relay says it in
 * `hello` so a page's worker and client can tell when their copies are older.
 * (Compiled this runs from dist/server/config/, under vitest from server/config/: both places are tried.)
 */
function readVersion(): string {
  for (const relative of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'modrelay' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // try the next place
    }
  }
  return '0.0.0';
}

export const VERSION = readVersion();
