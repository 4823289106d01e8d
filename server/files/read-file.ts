import { constants, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { FileCalls, OpenFile } from './file-calls.js';
import { confine, fsFailure, within, type PathFailure } from './paths.js';

/** An open file under the root, checked after it was opened. The caller closes `handle`. */
export interface ConfinedFile<F extends OpenFile = FileHandle> {
  handle: F;
  /** Its real path now, inside the root. */
  real: string;
  stats: Stats;
}

/**
 * Opens a file under the root with no window between checking the path and reading it.
 * `confine` resolves symlinks and checks the result, but a parent folder can be swapped for a
 * symlink to somewhere else between that check and the open (a `renameat2` exchange does it
 * atomically). So the file is opened first — without following a final symlink, and without
 * blocking (a FIFO swapped in would hang a read) — and then the path of the open descriptor
 * itself (`/proc/self/fd/N`, what the kernel opened) must pass the same rules. Whatever was
 * swapped, the bytes read come from the file that passed. `refuse` sees the descriptor's stat.
 */
export async function openConfined<F extends OpenFile>(
  realRoot: string, segments: string[], refuse: (real: string, stats: Stats) => PathFailure | null,
  calls: FileCalls<F>,
): Promise<{ ok: true; file: ConfinedFile<F> } | PathFailure> {
  const confined = await confine(realRoot, segments, calls.realpath);
  if (!confined.ok) return confined;
  let handle: F;
  try {
    handle = await calls.open(confined.real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    return fsFailure(error);
  }
  try {
    const stats = await handle.stat();
    const real = await descriptorPath(handle, confined.real, stats, calls);
    const outside = real === null ? swapped() : within(realRoot, real);
    const refused = outside ?? refuse(real!, stats);
    if (refused) {
      await handle.close().catch(() => {});
      return refused;
    }
    return { ok: true, file: { handle, real: real!, stats } };
  } catch (error) {
    await handle.close().catch(() => {});
    return fsFailure(error);
  }
}

function swapped(): PathFailure {
  return { ok: false, code: 'forbidden', message: 'path changed while it was opened (a folder swapped for a symlink?)' };
}

/**
 * The real path of an open descriptor. Linux names it in /proc/self/fd; elsewhere the path is
 * resolved again and must still lead to the same file (device and inode), else null.
 */
async function descriptorPath(handle: OpenFile, opened: string, stats: Stats, calls: FileCalls): Promise<string | null> {
  try {
    return await calls.readlink(`/proc/self/fd/${handle.fd}`);
  } catch {
    try {
      const again = await calls.realpath(opened);
      const now = await calls.stat(again);
      return now.dev === stats.dev && now.ino === stats.ino ? again : null;
    } catch {
      return null;
    }
  }
}

/**
 * Reads a confined file whole, bounded by the size its descriptor reported, so a file that
 * grows meanwhile is read as it was when stat'ed (and one that shrinks, up to its new end).
 */
export async function readWhole(file: ConfinedFile<OpenFile>): Promise<Uint8Array> {
  const bytes = new Uint8Array(file.stats.size);
  let filled = 0;
  while (filled < bytes.byteLength) {
    const { bytesRead } = await file.handle.read(bytes, filled, bytes.byteLength - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return bytes.subarray(0, filled);
}
