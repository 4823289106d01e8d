import { realpath } from 'node:fs/promises';
import { join, relative, sep, isAbsolute } from 'node:path';
import type { ErrorCode } from '../../protocol/wire.js';
import { LIMITS } from '../config/options.js';

/**
 * URL path → file under the root, with every rule that keeps the relay (and the static
 * server) inside it. The relay reads a developer's disk and listens on a port, so each rule
 * below refuses one known way out:
 *
 * - the path starts with exactly one "/" ("//host/x" is protocol-relative, "C:" or "x" are not paths);
 * - no NUL or control characters, no backslashes (a separator on Windows, and in some URL parsers);
 * - no "%" at all: wire paths arrive decoded, so a "%" is an encoded trick ("%2e%2e") or
 *   double encoding ("%252e"); the HTTP side decodes exactly once before calling this;
 * - no empty, "." or ".." segments, and no segment that starts with "." (dotfiles and
 *   dot-folders such as .git, .env, .ssh);
 * - after `realpath` (symlinks resolved) the file must still be inside the realpath of the
 *   root, and its real path must obey the same dot rule.
 */

export type PathFailure = { ok: false; code: ErrorCode; message: string };

/** Splits a URL path into safe segments, or says why it is refused. */
export function checkUrlPath(path: unknown): { ok: true; segments: string[] } | PathFailure {
  if (typeof path !== 'string' || path.length === 0) return refuse('bad-request', 'path must be a non-empty string');
  if (path.length > LIMITS.maxPathLength) return refuse('forbidden', 'path is too long');
  if (!path.startsWith('/') || path.startsWith('//')) {
    return refuse('forbidden', 'path must start with exactly one "/"');
  }
  if (/[\u0000-\u001f\u007f]/.test(path)) return refuse('forbidden', 'path contains NUL or a control character');
  if (path.includes('\\')) return refuse('forbidden', 'path contains a backslash');
  if (path.includes('%')) return refuse('forbidden', 'path contains "%" (paths are sent decoded; encoded or double-encoded tricks are refused)');
  const segments = path.slice(1).split('/');
  const bad = badSegment(segments);
  if (bad) return refuse('forbidden', bad);
  return { ok: true, segments };
}

function badSegment(segments: string[]): string | null {
  for (const segment of segments) {
    if (segment === '') return 'path has an empty segment ("//" or a trailing "/")';
    if (segment === '.' || segment === '..') return 'path has a dot-segment ("." or "..")';
    if (segment.startsWith('.')) return `path names a dotfile or dot-folder ("${segment}")`;
  }
  return null;
}

/**
 * Resolves the segments under `realRoot` (itself already a realpath) and re-checks
 * containment after following symlinks. Returns the real file path; does not stat it.
 * A parent swapped for a symlink after this check is caught by `openConfined` (read-file.ts).
 */
export async function confine(
  realRoot: string, segments: string[], resolve: (path: string) => Promise<string> = realpath,
): Promise<{ ok: true; real: string } | PathFailure> {
  let real: string;
  try {
    real = await resolve(join(realRoot, ...segments));
  } catch (error) {
    return fsFailure(error);
  }
  return within(realRoot, real) ?? { ok: true, real };
}

/** Why a real path is refused (outside the root, or a dot name on the way), or null. */
export function within(realRoot: string, real: string): PathFailure | null {
  const rel = relative(realRoot, real);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    return refuse('forbidden', 'path resolves (through a symlink) outside the root');
  }
  const bad = badSegment(rel.split(sep));
  return bad ? refuse('forbidden', `path resolves (through a symlink) to a refused name: ${bad}`) : null;
}

/** Maps a filesystem error to the code the client sees. */
export function fsFailure(error: unknown): PathFailure {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return refuse('not-found', 'no such module under the root');
  if (code === 'ELOOP') return refuse('forbidden', 'path is a symlink loop or was swapped for a symlink');
  if (code === 'ENAMETOOLONG') return refuse('forbidden', 'path is too long');
  if (code === 'EACCES' || code === 'EPERM') return refuse('forbidden', 'the file is not readable by the relay');
  return refuse('internal', `the relay could not read the module (${code ?? 'error'})`);
}

function refuse(code: ErrorCode, message: string): PathFailure {
  return { ok: false, code, message };
}
