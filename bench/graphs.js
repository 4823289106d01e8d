// @ts-check
/**
 * The module graphs the benchmark loads: real packages nobody here wrote, read from
 * node_modules and copied before use, so edits never touch the installed packages.
 */
import { createHash } from 'node:crypto';
import { cp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { init, parse } from 'es-module-lexer';
import { APP_HEADERS, writeAppGraph } from './app-graph.js';

/**
 * @typedef {object} Graph
 * @property {string} name        short name used in reports
 * @property {string} source      folder copied into each site
 * @property {string} mount       URL folder the copy is served under ("src" → /src/...)
 * @property {string} entry       entry module, relative to the mount
 * @property {(dir: string) => Promise<void>} [write]  writes the graph instead of copying `source`
 * @property {Record<string, string>} [headers]  headers every server sends with the graph's files (the app's cross-origin isolation)
 */

// three's `exports` hides package.json from require.resolve, so locate packages directly.
/** @param {string} pkg */
const packageDir = (pkg) => fileURLToPath(new URL(`../node_modules/${pkg}`, import.meta.url));

/** @type {Graph[]} */
export const GRAPHS = [
  // three's own sources, everything reached from src/Three.js (the figures docs/performance.md starts from).
  { name: 'three', source: path.join(packageDir('three'), 'src'), mount: 'src', entry: 'Three.js' },
  // lodash-es's index is its `main`, lodash.js; it re-exports ~640 one-function modules.
  { name: 'lodash-es', source: packageDir('lodash-es'), mount: 'lodash-es', entry: 'lodash.js' },
  // An app, not a library: 50 modules, half inside a module Worker started as `main.mjs#<time>`
  // that imports its piece with a fragment too, plus JSON and CSS, cross-origin isolated (app-graph.js).
  { name: 'app', source: '', mount: 'app', entry: 'main.mjs', write: writeAppGraph, headers: APP_HEADERS },
  // lucide's ESM entry re-exports every icon, one module each: 2,000+ modules.
  { name: 'lucide', source: path.join(packageDir('lucide'), 'dist', 'esm'), mount: 'lucide', entry: 'lucide.mjs' },
];

/**
 * @typedef {object} ModuleInfo
 * @property {string} path     root-relative URL path, e.g. "/src/Three.js"
 * @property {number} size     bytes
 * @property {string} hash     sha-256 hex of the bytes
 * @property {string[]} imports  URL paths of its static imports (relative specifiers only)
 */

/**
 * The static import closure of `entryPath` under `root`, as the browser would fetch it.
 * @param {string} root       folder that URL "/" maps to
 * @param {string} entryPath  URL path of the entry, e.g. "/src/Three.js"
 * @returns {Promise<Map<string, ModuleInfo>>}
 */
export async function importClosure(root, entryPath) {
  await init();
  /** @type {Map<string, ModuleInfo>} */
  const modules = new Map();
  const queue = [entryPath];
  // Bounded: each path enters the map once, and the folder holds a finite set of files.
  while (queue.length > 0) {
    const urlPath = /** @type {string} */ (queue.pop());
    if (modules.has(urlPath)) continue;
    const bytes = await readFile(path.join(root, ...urlPath.split('/')));
    const [imports] = parse(bytes.toString('utf8'), urlPath);
    /** @type {string[]} */
    const deps = [];
    for (const im of imports) {
      if (im.type !== 'static' && im.type !== 'reexport-star') continue;
      if (!im.specifier || !/^\.{1,2}\//.test(im.specifier)) continue;
      deps.push(new URL(im.specifier, `http://x${urlPath}`).pathname);
    }
    modules.set(urlPath, {
      path: urlPath,
      size: bytes.byteLength,
      hash: createHash('sha256').update(bytes).digest('hex'),
      imports: deps,
    });
    queue.push(...deps);
  }
  return modules;
}

/**
 * The module the edit modes change: a leaf (imports nothing), with as few importers as
 * possible so the edit is the common "one small file" case, ties broken by path.
 * @param {Map<string, ModuleInfo>} modules
 */
export function pickLeaf(modules) {
  /** @type {Map<string, number>} */
  const importers = new Map();
  for (const m of modules.values()) for (const d of m.imports) importers.set(d, (importers.get(d) ?? 0) + 1);
  const leaves = [...modules.values()].filter((m) => m.imports.length === 0);
  leaves.sort((a, b) => (importers.get(a.path) ?? 0) - (importers.get(b.path) ?? 0) || a.path.localeCompare(b.path));
  const leaf = leaves[0];
  if (!leaf) throw new Error('graph has no leaf module');
  return leaf.path;
}

/**
 * Copies the graph's folder to `<siteRoot>/<mount>` (JavaScript files only), or writes it.
 * @param {Graph} graph
 * @param {string} siteRoot
 */
export async function copyGraph(graph, siteRoot) {
  if (graph.write) return graph.write(path.join(siteRoot, graph.mount));
  await cp(graph.source, path.join(siteRoot, graph.mount), {
    recursive: true,
    filter: (src) => !path.basename(src).includes('.') || src.endsWith('.js') || src.endsWith('.mjs'),
  });
}
