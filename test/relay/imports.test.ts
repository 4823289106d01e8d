import { beforeAll, describe, expect, it } from 'vitest';
import { lexerReady, staticImports } from '../../server/files/imports.js';

beforeAll(() => lexerReady);

describe('staticImports', () => {
  it('resolves relative and root-absolute specifiers against the importer', () => {
    const source = "import a from './a.mjs'; import b from '../up.mjs'; import c from '/root/c.js'; export { d } from './d.mjs';";
    expect(staticImports(source, '/lib/x.mjs')).toEqual(['/lib/a.mjs', '/up.mjs', '/root/c.js', '/lib/d.mjs']);
  });

  it('leaves bare specifiers, full URLs and protocol-relative URLs alone', () => {
    const source = "import 'three'; import '@scope/pkg'; import 'https://cdn.example/x.mjs'; import '//cdn.example/y.mjs'; import 'node:fs';";
    expect(staticImports(source, '/x.mjs')).toEqual([]);
  });

  it('ignores dynamic imports but keeps export-star and side-effect imports', () => {
    const source = "import('./dyn.mjs'); export * from './star.mjs'; import './side.mjs';";
    expect(staticImports(source, '/x.mjs')).toEqual(['/star.mjs', '/side.mjs']);
  });

  it('strips query and fragment, normalizes dot segments above the root, decodes percent-escapes', () => {
    const source = "import './a.mjs?v=1'; import './b.mjs#x'; import '../../../c.mjs'; import './d%20e.mjs'; import './f g.mjs';";
    expect(staticImports(source, '/lib/x.mjs')).toEqual(['/lib/a.mjs', '/lib/b.mjs', '/c.mjs', '/lib/d e.mjs', '/lib/f g.mjs']);
  });

  it('lists each dependency once', () => {
    expect(staticImports("import './a.mjs'; import { x } from './a.mjs';", '/m.mjs')).toEqual(['/a.mjs']);
  });

  it('follows JSON and CSS module scripts and the files named by new URL(literal, import.meta.url)', () => {
    const source = [
      "import data from './data.json' with { type: 'json' };",
      "import sheet from '../theme.css' with { type: 'css' };",
      "const wasm = new URL('./add.wasm', import.meta.url);",
      'const worker = new Worker(new URL( "./w/worker.mjs" , import.meta.url ), { type: "module" });',
      'const shader = fetch(new URL(`./shaders/a.frag`, import.meta.url));',
      // Not literal, or not relative to this module: left alone.
      'const dynamic = new URL(`./x/${name}.json`, import.meta.url);',
      "const page = new URL('./other.json', location.href);",
    ].join('\n');
    expect(staticImports(source, '/lib/app.mjs')).toEqual([
      '/lib/data.json', '/theme.css', '/lib/add.wasm', '/lib/w/worker.mjs', '/lib/shaders/a.frag',
    ]);
  });

  it('returns nothing for source that does not lex', () => {
    expect(staticImports("import './a.mjs'; const s = `unterminated", '/m.mjs')).toEqual([]);
  });
});
