import { init, parse } from 'es-module-lexer';

/** es-module-lexer compiles a small Wasm lexer once; `staticImports` needs it ready. */
export const lexerReady: Promise<void> = init();

/**
 * The module paths a module statically imports, as root-relative URL paths.
 *
 * Only what the browser fetches before running the module counts: `import … from`,
 * `export … from`, `import defer`. Dynamic `import()` is left out (it may never run), as are
 * source-phase imports (Wasm) and TypeScript type-only imports. Relative ("./x.mjs",
 * "../x.mjs") and root-absolute ("/x.mjs") specifiers are resolved the way the browser
 * resolves them against the importer's URL, query and fragment dropped; bare specifiers
 * ("three") need an import map and full URLs belong to another origin, so both are left
 * alone. The result is not yet checked against the path rules: the caller loads each path
 * through the same checks as a request. Source that does not lex yields no imports.
 *
 * JSON and CSS module scripts (`import data from './a.json' with { type: 'json' }`) are static
 * imports like any other. So are the files a module names with `new URL('./x.wasm',
 * import.meta.url)` — a worker, a wasm module, JSON fetched by URL, a shader: the browser asks
 * for them as soon as the module runs, so they are pushed with it.
 */
export function staticImports(source: string, importerPath: string): string[] {
  let imports;
  try {
    [imports] = parse(source);
  } catch {
    return [];
  }
  const base = new URL(importerPath, 'http://modrelay.invalid');
  const found = new Set<string>();
  for (const entry of imports) {
    if (entry.type !== 'static' && entry.type !== 'reexport-star') continue;
    if (entry.phase === 'source' || entry.typeOnly) continue;
    const path = resolveSpecifier(entry.specifier, base);
    if (path !== null) found.add(path);
  }
  for (const specifier of urlLiterals(source)) {
    const path = resolveSpecifier(specifier, base);
    if (path !== null) found.add(path);
  }
  return [...found];
}

/** Literal first arguments of `new URL('…', import.meta.url)` (a template literal without `${`). */
function urlLiterals(source: string): string[] {
  const found: string[] = [];
  const pattern = /new\s+URL\(\s*(['"`])([^'"`$\n\\]+)\1\s*,\s*import\.meta\.url\s*\)/g;
  for (const match of source.matchAll(pattern)) found.push(match[2]!);
  return found;
}

function resolveSpecifier(specifier: string, base: URL): string | null {
  const relative = specifier.startsWith('./') || specifier.startsWith('../');
  const rootAbsolute = specifier.startsWith('/') && !specifier.startsWith('//');
  if (!relative && !rootAbsolute) return null;
  let url: URL;
  try {
    url = new URL(specifier, base);
  } catch {
    return null;
  }
  if (url.origin !== base.origin) return null;
  try {
    // Wire paths are decoded ("/a b.mjs"); URL pathnames are encoded ("/a%20b.mjs").
    return decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
}
