import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SERVER_OPTIONS } from '../config/declarations.js';
import type { ServeOptions } from '../config/options.js';

/** What a config file may hold: exactly the command line's options (the root is the command's argument). */
export type ModrelayConfig = Omit<ServeOptions, 'root' | 'log'>;

/** The keys a config file may hold: every declared option (server/config/declarations.ts). */
const KEYS = Object.keys(SERVER_OPTIONS) as (keyof ModrelayConfig)[];
// Every option of the config file is declared, and every declaration is an option of it: a key
// added to one side only fails to compile here.
SERVER_OPTIONS satisfies Record<keyof ModrelayConfig, unknown>;
const declaredOnly: [Exclude<keyof typeof SERVER_OPTIONS, keyof ModrelayConfig>] extends [never] ? true : false = true;
void declaredOnly;

const NAMES = ['modrelay.config.js', 'modrelay.config.mjs', 'modrelay.config.json'];

/** Typed help for `modrelay.config.js`: `export default defineConfig({ spa: true })`. */
export function defineConfig(config: ModrelayConfig): ModrelayConfig {
  return config;
}

/**
 * The options of `file` (relative to the working folder), or of the first
 * modrelay.config.{js,mjs,json} in `root`; {} when there is none. Unknown keys are refused:
 * a misspelt option must not be silently ignored.
 */
export async function loadConfig(root: string, file?: string): Promise<ModrelayConfig> {
  const path = file !== undefined ? resolve(file) : NAMES.map((name) => join(root, name)).find((candidate) => existsSync(candidate));
  if (path === undefined) return {};
  let config: unknown;
  try {
    config = extname(path) === '.json'
      ? JSON.parse(await readFile(path, 'utf8'))
      : ((await import(pathToFileURL(path).href)) as { default?: unknown }).default;
  } catch (error) {
    throw new TypeError(`modrelay: cannot read ${path}: ${(error as Error).message}`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new TypeError(`modrelay: ${path} must hold (or export default) an object of options`);
  const unknown = Object.keys(config).filter((key) => !(KEYS as readonly string[]).includes(key));
  if (unknown.length > 0) throw new TypeError(`modrelay: ${path}: unknown option ${unknown.join(', ')} (known: ${KEYS.join(', ')})`);
  return config as ModrelayConfig;
}
