import { opendir } from 'node:fs/promises';
import { join } from 'node:path';
import { hasExtension } from '../../protocol/file-types.js';
import type { FileStore } from './file-store.js';

/** At most this many modules are read ahead; a bigger root warms up on demand. */
export const PREWARM_MAX_FILES = 5_000;
/** Reads in flight at once: enough to keep the disk busy, few enough to leave the CPU to requests. */
const CONCURRENCY = 4;

/**
 * Reads, hashes and lexes the root's modules once at start-up, in the background, so the
 * first page load's `deps: true` request is answered from memory. Measured on `three`
 * (387 modules): the first push took ~580 ms cold — over the SW's 500 ms budget, so a first
 * visit fell back to HTTP for part of the graph — and ~15 ms warm.
 *
 * Skips what the watcher skips (dot-names, node_modules). Stops when `signal` aborts.
 */
export async function prewarm(store: FileStore, root: string, extensions: readonly string[], signal: AbortSignal): Promise<number> {
  const paths: string[] = [];
  await collect(root, '', extensions, paths, signal);
  let next = 0;
  const worker = async () => {
    while (next < paths.length && !signal.aborted) await store.load(paths[next++]!);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return paths.length;
}

async function collect(
  root: string, relative: string, extensions: readonly string[], out: string[], signal: AbortSignal,
): Promise<void> {
  let dir;
  try {
    dir = await opendir(join(root, relative));
  } catch {
    return; // vanished or unreadable: the store reports such paths when they are asked for
  }
  for await (const entry of dir) {
    if (signal.aborted || out.length >= PREWARM_MAX_FILES) break;
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = `${relative}/${entry.name}`;
    if (entry.isDirectory()) await collect(root, path, extensions, out, signal);
    else if (entry.isFile() && hasExtension(entry.name, extensions)) out.push(path);
  }
}
