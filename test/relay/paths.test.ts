import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realpath, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { hasExtension } from '../../protocol/file-types.js';
import { checkUrlPath, confine } from '../../server/files/paths.js';
import { removeRoot, tempRoot } from '../support/temp.js';

describe('checkUrlPath', () => {
  it.each([
    ['/a.mjs', ['a.mjs']],
    ['/lib/deep/b.js', ['lib', 'deep', 'b.js']],
    ['/a b.mjs', ['a b.mjs']],
    ['/ünï/cödé.mjs', ['ünï', 'cödé.mjs']],
    ['/a..b.mjs', ['a..b.mjs']],
    ['/lib/x.min.mjs', ['lib', 'x.min.mjs']],
  ])('accepts %j', (path, segments) => {
    expect(checkUrlPath(path)).toEqual({ ok: true, segments });
  });

  it.each([
    '/../a.mjs', '/a/../b.mjs', '/./a.mjs', '/a/.', '/a/..', 'a.mjs', '//a.mjs', '/a//b.mjs', '/a/',
    '/', '/a\u0000.mjs', '/a\n.mjs', '/a\\b.mjs', '/%2e%2e/a.mjs', '/%252e/a.mjs', '/a%2fb.mjs',
    '/.env', '/.git/x.mjs', '/a/.hidden/b.mjs', '/a/..mjs', `/${'x'.repeat(5000)}.mjs`,
  ])('refuses %j as forbidden', (path) => {
    expect(checkUrlPath(path)).toMatchObject({ ok: false, code: 'forbidden' });
  });

  it.each([[''], [5], [null], [undefined], [{}]])('refuses %j as bad-request', (path) => {
    expect(checkUrlPath(path)).toMatchObject({ ok: false, code: 'bad-request' });
  });
});

describe('hasExtension', () => {
  it('matches the end of the last segment only, and never a bare extension', () => {
    const exts = ['.mjs', '.js'];
    expect(hasExtension('/a.mjs', exts)).toBe(true);
    expect(hasExtension('/a.js', exts)).toBe(true);
    expect(hasExtension('/a.mjs.txt', exts)).toBe(false);
    expect(hasExtension('/a.json', exts)).toBe(false);
    expect(hasExtension('/dir.mjs/a', exts)).toBe(false);
    expect(hasExtension('/.mjs', exts)).toBe(false);
    expect(hasExtension('/a.MJS', exts)).toBe(false);
  });
});

describe('confine', () => {
  let root: string;
  let outside: string;
  beforeAll(async () => {
    outside = await tempRoot({ 'x.mjs': '' });
    root = await realpath(await tempRoot({ 'in.mjs': '', '.dot.mjs': '' }));
    await symlink(join(outside, 'x.mjs'), join(root, 'out.mjs'));
    await symlink(join(root, 'in.mjs'), join(root, 'alias.mjs'));
    await symlink(join(root, '.dot.mjs'), join(root, 'dot-alias.mjs'));
  });
  afterAll(async () => {
    await removeRoot(root);
    await removeRoot(outside);
  });

  it('returns the real path of a file inside the root, through symlinks that stay inside', async () => {
    expect(await confine(root, ['in.mjs'])).toEqual({ ok: true, real: join(root, 'in.mjs') });
    expect(await confine(root, ['alias.mjs'])).toEqual({ ok: true, real: join(root, 'in.mjs') });
  });

  it('refuses symlinks that leave the root or land on a dotfile', async () => {
    expect(await confine(root, ['out.mjs'])).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await confine(root, ['dot-alias.mjs'])).toMatchObject({ ok: false, code: 'forbidden' });
  });

  it('says not-found for missing files and folders', async () => {
    expect(await confine(root, ['nope.mjs'])).toMatchObject({ ok: false, code: 'not-found' });
    expect(await confine(root, ['in.mjs', 'x.mjs'])).toMatchObject({ ok: false, code: 'not-found' });
  });
});
