import { watch, type FSWatcher } from 'chokidar';
import { stat } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import type { ModulePath } from '../protocol/wire.js';
import type { ModuleStore } from './module-store.js';
import { Changes, type ChangeBatch } from './changes.js';
import { hasAllowedExtension } from './paths.js';


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
 * comes from the hash, not from the shape of the events. That is also why chokidar's `atomic`
 * (which holds every unlink 100 ms to turn delete+add into change) and `awaitWriteFinish`
 * (which polls for seconds) are off: both only add latency to what the re-hash already decides.
 *
 * Not watched: dotfiles and dot-folders (never served) and node_modules (huge; modules in it
 * are still served, and a change there is still caught by the store's stat check on the next
 * request).
 */
export async function watchRoot(
  realRoot: string,
  store: ModuleStore,
  extensions: readonly string[],
  debounceMs: number,
  onChange: (batch: ChangeBatch) => void,
): Promise<RootWatcher> {
  const changes = new Changes(store, debounceMs, onChange);
  let watcher: FSWatcher | null = await attach(realRoot, store, extensions, changes);
  let identity = await rootIdentity(realRoot);
  let checking: Promise<void> = Promise.resolve();
  let closed = false;
  // The root deleted and made again (`rm -rf dist && build`, a checkout of a parent) or
  // renamed away and back: chokidar's watch of the old folder is dead. Checked by inode, so
  // a replacement within one interval is seen too; every path clients may hold is checked
  // again, which announces what changed (or went) meanwhile.
  const timer = setInterval(() => {
    checking = checking.then(async () => {
      const now = await rootIdentity(realRoot);
      if (closed || now === identity) return;
      identity = now;
      await watcher?.close();
      watcher = now === null ? null : await attach(realRoot, store, extensions, changes);
      if (closed) return void (await watcher?.close());
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
      await watcher?.close();
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

/** One chokidar watch of the root, feeding `changes`; resolves once its first scan is done. */
async function attach(realRoot: string, store: ModuleStore, extensions: readonly string[], changes: Changes): Promise<FSWatcher> {
  const toUrlPath = (file: string): ModulePath | null => {
    const rel = relative(realRoot, file);
    if (rel === '' || rel.startsWith('..')) return null;
    return `/${rel.split(sep).join('/')}`;
  };
  const mark = (file: string, unlinked: boolean) => {
    const path = toUrlPath(file);
    if (path !== null && hasAllowedExtension(path, extensions)) changes.mark([path], unlinked);
  };

  const watcher: FSWatcher = watch(realRoot, { ignoreInitial: true, ignored: ignoredUnder(realRoot), atomic: false, followSymlinks: false });
  watcher.on('add', (file) => mark(file, false));
  watcher.on('change', (file) => mark(file, false));
  watcher.on('unlink', (file) => mark(file, true));
  watcher.on('unlinkDir', (dir) => {
    // chokidar reports the files it knew under a removed folder; the store may know more.
    const folder = toUrlPath(dir);
    if (folder !== null) changes.mark(store.cachedUnder(folder), true);
  });
  // A watch error (EMFILE, a folder vanishing mid-scan) must not take the relay down.
  watcher.on('error', (error) => console.warn(`modrelay: watcher: ${String(error)}`));

  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return watcher;
}

/**
 * chokidar calls this for every entry each time it re-reads a folder, which it does on any
 * change inside it (throttled to once a second), so it sits on the hot-update path of a
 * large flat folder (lodash-es: 640 files): plain string tests, no path.relative or split.
 */
function ignoredUnder(realRoot: string): (file: string) => boolean {
  const prefix = realRoot.endsWith(sep) ? realRoot : `${realRoot}${sep}`;
  return (file) => {
    if (!file.startsWith(prefix)) return false;
    const wrapped = `${sep}${file.slice(prefix.length)}${sep}`;
    return wrapped.includes(`${sep}.`) || wrapped.includes(`${sep}node_modules${sep}`);
  };
}

