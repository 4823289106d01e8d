import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { fsFailure, type PathFailure } from './paths.js';

/**
 * Reads one file through a single open descriptor: opened without following a final symlink
 * (one swapped in after the path was resolved is refused) and without blocking (a FIFO swapped
 * in would hang a read); `refuse` sees the descriptor's own stat, and the read is bounded by
 * that size, so a file that grows meanwhile is read as it was when stat'ed.
 */
export async function readFileOnce(
  real: string, refuse: (stats: Stats) => PathFailure | null,
): Promise<{ ok: true; bytes: Uint8Array; stats: Stats } | PathFailure> {
  let handle;
  try {
    handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    return fsFailure(error);
  }
  try {
    const stats = await handle.stat();
    const refused = refuse(stats);
    if (refused) return refused;
    const bytes = new Uint8Array(stats.size);
    let filled = 0;
    while (filled < bytes.byteLength) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.byteLength - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return { ok: true, bytes: bytes.subarray(0, filled), stats };
  } catch (error) {
    return fsFailure(error);
  } finally {
    await handle.close().catch(() => {});
  }
}
