import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The rooms of the code base: every folder of production code opens with a README.md whose
 * `May import:` line names the folders its files may import from (its own always). This test
 * holds the code to those lines — no import runs upward — checks that the lines themselves
 * run one way (no two folders may import each other, directly or around a loop), and that no
 * production file grows past 250 lines.
 */
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const TOP = ['protocol', 'lib', 'client', 'sw', 'server'];
const MAX_LINES = 250;

function folders(dir: string): string[] {
  const found = [dir];
  for (const name of readdirSync(join(REPO, dir))) {
    if (statSync(join(REPO, dir, name)).isDirectory()) found.push(...folders(`${dir}/${name}`));
  }
  return found;
}

const ROOMS = TOP.flatMap(folders);
const sources = (room: string) => readdirSync(join(REPO, room)).filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'));

/** What is wrong with the imports of `file` (in `room`), as lines. */
function violations(room: string, file: string, text?: string): string[] {
  const allow = allowed(room) ?? new Set<string>();
  return importedRooms(file, text)
    .filter((target) => target !== room && !allow.has(target))
    .map((target) => `${relative(REPO, file)} imports from ${target}/ (allowed: ${[...allow].join(', ') || 'nothing'})`);
}

/** A room's allowed folders, from its README's `May import:` line ("nothing" for none). */
function allowed(room: string): Set<string> | null {
  const readme = join(REPO, room, 'README.md');
  if (!existsSync(readme)) return null;
  const line = /^May import: (.+)$/m.exec(readFileSync(readme, 'utf8'))?.[1];
  if (line === undefined) return null;
  return new Set(line.trim() === 'nothing' ? [] : line.split(',').map((entry) => entry.trim().replace(/[`.]/g, '').replace(/\/$/, '')));
}

/** The folders (repo-relative) a source file imports from: relative specifiers only; packages are not rooms. */
function importedRooms(file: string, text = readFileSync(file, 'utf8')): string[] {
  const specifiers = [...text.matchAll(/(?:^|\s)(?:import|export)\b[^'";]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/gm)]
    .map((match) => match[1] ?? match[2]!);
  return specifiers.map((specifier) => relative(REPO, dirname(resolve(dirname(file), specifier))).split('\\').join('/'));
}

describe('rooms', () => {
  it('every folder of production code has a README.md with a "May import:" line', () => {
    expect(ROOMS.filter((room) => sources(room).length > 0 && allowed(room) === null)).toEqual([]);
  });

  it('no import runs upward: each file imports only from its own folder and the folders its README allows', () => {
    expect(ROOMS.flatMap((room) => sources(room).flatMap((name) => violations(room, join(REPO, room, name))))).toEqual([]);
  });

  it('the allowances run one way: no folder may import, directly or through others, a folder that may import it', () => {
    const graph = new Map(ROOMS.map((room) => [room, [...(allowed(room) ?? [])]]));
    const loops: string[] = [];
    const visit = (room: string, path: string[]) => {
      for (const next of graph.get(room) ?? []) {
        if (path.includes(next)) loops.push([...path.slice(path.indexOf(next)), next].join(' → '));
        else visit(next, [...path, next]);
      }
    };
    for (const room of ROOMS) visit(room, [room]);
    expect(loops).toEqual([]);
  });

  it(`no production file is over ${MAX_LINES} lines`, () => {
    const long = ROOMS.flatMap((room) => sources(room).map((name) => `${room}/${name}`))
      .map((file) => [file, readFileSync(join(REPO, file), 'utf8').split('\n').length - 1] as const)
      .filter(([, lines]) => lines > MAX_LINES);
    expect(long).toEqual([]);
  });

  it('the check sees an upward import in every form: import, type import, re-export, dynamic import()', () => {
    const upward = [
      "import { Engine } from '../engine.js';",
      "import type { Engine } from '../engine.js';",
      "export { Engine } from '../engine.js';",
      "const { Engine } = await import('../engine.js');",
    ];
    for (const text of upward) expect(violations('sw/kit', join(REPO, 'sw/kit/made-up.ts'), text), text).toHaveLength(1);
    expect(violations('sw/kit', join(REPO, 'sw/kit/made-up.ts'), "import { Queue } from '../../lib/queue.js';")).toEqual([]);
  });
});
