import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256 } from '../support/sha256.js';
import { removeRoot, tempRoot } from '../support/temp.js';

/**
 * A relay root laid out for attacks, next to a sibling folder the relay must never reveal:
 *
 *   <base>/outside/secret.mjs           holds SECRET; every escape aims here
 *   <base>/root/lib/m0.mjs … m9.mjs     real modules (the well-behaved client fetches them)
 *   <base>/root/escape.mjs  → ../outside/secret.mjs   symlink out of the root
 *   <base>/root/escdir      → ../outside              directory symlink out of the root
 *   <base>/root/zero.mjs    → /dev/zero               device behind a symlink
 *   <base>/root/loop.mjs    → loop.mjs                symlink loop
 *   <base>/root/fifo.mjs                              a FIFO (a naive read blocks forever)
 *   <base>/root/dir.mjs/                              a directory with a module's name
 *   <base>/root/.secret.mjs, .hidden/a.mjs, lib/.env.mjs   dotfiles and dot-folders
 *   <base>/root/big.mjs                               over the 16 MiB default size cap
 *   <base>/root/notes.ts                             a type that is not served
 */
export const SECRET = 'SECRET-7f3a1c-do-not-serve';

export interface HostileRoot {
  base: string;
  root: string;
  outside: string;
  /** Real modules: path → sha-256 of the file. */
  modules: Map<string, string>;
  remove(): Promise<void>;
}

export async function makeHostileRoot(): Promise<HostileRoot> {
  const base = await tempRoot({}, { prefix: 'modrelay-faults-hostile-' });
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  await mkdir(join(root, 'lib'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(outside, 'secret.mjs'), `export default '${SECRET}';\n`);
  const modules = new Map<string, string>();
  for (let i = 0; i < 10; i++) {
    const next = i < 9 ? `import './m${i + 1}.mjs';\n` : '';
    const body = `${next}export const n = ${i};\n// ${'x'.repeat(i * 2000)}\n`;
    await writeFile(join(root, 'lib', `m${i}.mjs`), body);
    modules.set(`/lib/m${i}.mjs`, sha256(body));
  }
  await symlink('../outside/secret.mjs', join(root, 'escape.mjs'));
  await symlink('../outside', join(root, 'escdir'));
  await symlink('/dev/zero', join(root, 'zero.mjs'));
  await symlink('loop.mjs', join(root, 'loop.mjs'));
  execFileSync('mkfifo', [join(root, 'fifo.mjs')]);
  await mkdir(join(root, 'dir.mjs'));
  await writeFile(join(root, '.secret.mjs'), `export default '${SECRET}';\n`);
  await mkdir(join(root, '.hidden'));
  await writeFile(join(root, '.hidden', 'a.mjs'), `export default '${SECRET}';\n`);
  await writeFile(join(root, 'lib', '.env.mjs'), `export default '${SECRET}';\n`);
  await writeFile(join(root, 'big.mjs'), Buffer.alloc(17 * 1024 * 1024, 0x20));
  await writeFile(join(root, 'notes.ts'), `${SECRET}\n`);
  return { base, root, outside, modules, remove: () => removeRoot(base) };
}

/**
 * Paths that must each be refused with a `module:error` (never a body). Wire paths arrive
 * decoded, so encodings appear here both raw and as their literal percent forms.
 */
export function pathAttacks(h: HostileRoot): string[] {
  const secretAbs = join(h.outside, 'secret.mjs');
  return [
    // traversal
    '../outside/secret.mjs', '/../outside/secret.mjs', '/lib/../../outside/secret.mjs', '/lib/../m0.mjs',
    '/./lib/m0.mjs', '/lib/./m0.mjs', `/lib/${'../'.repeat(64)}etc/passwd`, '/..', '/.', '..', '.',
    // percent-encoded and double-encoded
    '/%2e%2e/outside/secret.mjs', '/%2E%2E/outside/secret.mjs', '/lib/%2e%2e/%2e%2e/outside/secret.mjs',
    '/%252e%252e/outside/secret.mjs', '/..%2foutside%2fsecret.mjs', '/..%5coutside%5csecret.mjs', '/lib%2fm0.mjs',
    '/%2e/lib/m0.mjs', '/lib/m0.mjs%00', '/lib/m0.mjs%00.png',
    // overlong UTF-8 and look-alike dots
    '/%c0%ae%c0%ae/outside/secret.mjs', '/%e0%80%ae%e0%80%ae/outside/secret.mjs', '/%c0%af..%c0%afoutside/secret.mjs',
    '/\u00c0\u00ae\u00c0\u00ae/outside/secret.mjs', '/\uff0e\uff0e/outside/secret.mjs', '/\u2025/outside/secret.mjs',
    // NUL and control characters
    '/lib/m0.mjs\u0000', '/lib/m0.mjs\u0000.png', '\u0000', '/lib/\u0000/m0.mjs', '/lib/m0.mjs\n', '/lib/m0\r.mjs',
    // backslashes
    '/..\\outside\\secret.mjs', '\\..\\outside\\secret.mjs', '/lib\\..\\..\\outside\\secret.mjs', '/lib\\m0.mjs',
    // absolute, protocol-relative, URLs, drive letters
    '/etc/passwd', '/proc/self/environ', '/dev/zero', 'etc/passwd', 'lib/m0.mjs', '//etc/passwd',
    '//127.0.0.1/lib/m0.mjs', 'file:///etc/passwd', 'http://127.0.0.1/lib/m0.mjs', 'C:\\Windows\\win.ini', secretAbs,
    // empty, directories, queries
    '', '/', '/lib/', '/lib//m0.mjs', '/lib/m0.mjs/', '/lib/m0.mjs/..', '/lib/m0.mjs?x=1', '/lib/m0.mjs#x',
    // very long
    `/${'a/'.repeat(3000)}x.mjs`, `/${'a'.repeat(100_000)}.mjs`, `/${'b'.repeat(300)}.mjs`,
    // things in the root that are not plain module files
    '/escape.mjs', '/escdir/secret.mjs', '/zero.mjs', '/loop.mjs', '/fifo.mjs', '/dir.mjs',
    '/.secret.mjs', '/.hidden/a.mjs', '/lib/.env.mjs', '/big.mjs', '/notes.ts', '/lib/missing.mjs',
  ];
}
