import { stat } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import type { FilePath } from '../../protocol/wire.js';
import type { FileStore } from '../files/file-store.js';
import { Changes, type ChangeBatch } from './changes.js';
import { FolderWatch } from './folder-watch.js';
import { hasExtension } from '../../protocol/file-types.js';

export interface RootWatcher {
  close(): Promise<void>;
}

/**
 * Watches the root and reports real changes to modules, coalesced.
 *
 * An editor's save is several events (write, or write-temp-then-rename, or delete-and-create).
 * The first event after a quiet period is flushed after QUICK_MS; events that arrive while a
 * flush runs or within `debounceMs` of the last flush are collected until `debounceMs` passes
 * without one (at most MAX_WAIT_WINDOWS windows), so a storm of writes becomes a few
 * broadcasts. A flush stats and hashes each touched path again and reports only a changed hash
 * (or a file that is gone), so a save with the same content reports nothing, and correctness
 * comes from the hash, not from the shape of the events. That is also why the watch
 * (folder-watch.ts) only says where to look: it holds no event back to pair a delete with a
 * create, and never waits for a write to finish; both would only add latency to what the
 * re-hash already decides.
 *
 * Not watched: dotfiles and dot-folders (never served) and node_modules (huge; modules in it
 * are still served, and a change there is still caught by the store's stat check on the next
 * request).
 */
export async function watchRoot(
  realRoot: string,
  store: FileStore,
  extensions: readonly string[],
  debounceMs: number,
  onChange: (batch: ChangeBatch) => void,
): Promise<RootWatcher> {
  const changes = new Changes(store, debounceMs, onChange);
  let watcher: FolderWatch | null = await attach(realRoot, store, extensions, changes);
  let identity = await rootIdentity(realRoot);
  let checking: Promise<void> = Promise.resolve();
  let closed = false;
  // The root deleted and made again (`rm -rf dist && build`, a checkout of a parent) or
  // renamed away and back: the watch of the old folder is dead. Checked by inode, so
  // a replacement within one interval is seen too; every path clients may hold is checked
  // again, which announces what changed (or went) meanwhile.
  const timer = setInterval(() => {
    checking = checking.then(async () => {
      const now = await rootIdentity(realRoot);
      if (closed || now === identity) return;
      identity = now;
      watcher?.close();
      watcher = now === null ? null : await attach(realRoot, store, extensions, changes);
      if (closed) return void watcher?.close();
      // Paths announced as removed (while the root was gone) count: clients may hold them.
      changes.mark(new Set([...store.knownPaths(), ...changes.removedPaths()]), true);
    }).catch((error: unknown) => console.warn(`modrelay: watcher: ${String(error)}`));
  }, ROOT_CHECK_MS);
  timer.unref();
  return {
    close: async () => {
      closed = true;
      clearInterval(timer);
      changes.close();
      await checking;
      watcher?.close();
      await changes.flushed();
    },
  };
}

/** How often the root folder itself is checked for having been replaced. */
const ROOT_CHECK_MS = 1000;

/**
 * The root folder's identity, or null while it does not exist: device, inode and birth time
 * (a folder made again often gets the inode number just freed).
 */
async function rootIdentity(realRoot: string): Promise<string | null> {
  try {
    const stats = await stat(realRoot);
    return stats.isDirectory() ? `${stats.dev}:${stats.ino}:${stats.birthtimeMs}` : null;
  } catch {
    return null;
  }
}

/** One watch of the root (folder-watch.ts), feeding `changes`; resolves once every folder is watched. */
async function attach(realRoot: string, store: FileStore, extensions: readonly string[], changes: Changes): Promise<FolderWatch> {
  const toUrlPath = (file: string): FilePath | null => {
    const rel = relative(realRoot, file);
    if (rel === '' || rel.startsWith('..')) return null;
    return `/${rel.split(sep).join('/')}`;
  };
  const watch = new FolderWatch(realRoot, ignoredUnder(realRoot), {
    touched: (file, maybeGone) => {
      const path = toUrlPath(file);
      if (path !== null && hasExtension(path, extensions)) changes.mark([path], maybeGone);
    },
    // The store knows every path it read under the folder, also ones the watch never saw.
    folderGone: (folder) => {
      const path = toUrlPath(folder);
      if (path !== null) changes.mark(store.cachedUnder(path), true);
    },
    warn: (message) => console.warn(`modrelay: watcher: ${message}`),
  });
  await watch.start();
  return watch;
}

/**
 * The watch calls this for every entry of a new folder and every event: plain string tests,
 * no path.relative or split.
 */
function ignoredUnder(realRoot: string): (file: string) => boolean {
  const prefix = realRoot.endsWith(sep) ? realRoot : `${realRoot}${sep}`;
  return (file) => {
    if (!file.startsWith(prefix)) return false;
    const wrapped = `${sep}${file.slice(prefix.length)}${sep}`;
    return wrapped.includes(`${sep}.`) || wrapped.includes(`${sep}node_modules${sep}`);
  };
}
