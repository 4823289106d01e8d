import { watch, type FSWatcher } from 'chokidar';
import { relative, sep } from 'node:path';
import type { Hash, ModulePath } from '../protocol/wire.js';
import type { ModuleStore } from './module-store.js';
import { hasAllowedExtension } from './paths.js';

export interface ChangeBatch {
  updated: { path: ModulePath; hash: Hash }[];
  removed: ModulePath[];
}

export interface RootWatcher {
  close(): Promise<void>;
}

/** A burst of events longer than this many debounce windows is flushed anyway. */
const MAX_WAIT_WINDOWS = 10;

/**
 * Watches the root and reports real changes to modules, coalesced.
 *
 * An editor's save is several events (write, or write-temp-then-rename, or delete-and-create);
 * they are collected for `debounceMs` after the last one, then each touched path is stat'ed
 * and hashed again, and only a changed hash (or a file that is gone) is reported. So a save
 * with the same content reports nothing, and correctness comes from the hash, not from the
 * shape of the events. That is also why chokidar's `atomic` (which holds every unlink 100 ms
 * to turn delete+add into change) and `awaitWriteFinish` (which polls for seconds) are off:
 * both only add latency to what the re-hash already decides.
 *
 * Not watched: dotfiles and dot-folders (never served) and node_modules (huge; modules in it
 * are still served, and a change there is still caught by the store's stat check on the next
 * request).
 */
export function watchRoot(
  realRoot: string,
  store: ModuleStore,
  extensions: readonly string[],
  debounceMs: number,
  onChange: (batch: ChangeBatch) => void,
): Promise<RootWatcher> {
  const toUrlPath = (file: string): ModulePath | null => {
    const rel = relative(realRoot, file);
    if (rel === '' || rel.startsWith('..')) return null;
    return `/${rel.split(sep).join('/')}`;
  };
  const ignored = (file: string): boolean => {
    const rel = relative(realRoot, file);
    if (rel === '' || rel.startsWith('..')) return false;
    return rel.split(sep).some((segment) => segment.startsWith('.') || segment === 'node_modules');
  };

  /** path → whether one of its events said the file went away. */
  const dirty = new Map<ModulePath, boolean>();
  let timer: NodeJS.Timeout | undefined;
  let firstEventAt = 0;
  let flushing: Promise<void> = Promise.resolve();

  const schedule = () => {
    const now = Date.now();
    if (timer === undefined) firstEventAt = now;
    clearTimeout(timer);
    const overdue = now - firstEventAt >= debounceMs * MAX_WAIT_WINDOWS;
    timer = setTimeout(() => {
      timer = undefined;
      const paths = new Map(dirty);
      dirty.clear();
      // Flushes run one after another so batches are reported in order.
      flushing = flushing.then(() => flush(paths)).catch(() => {});
    }, overdue ? 0 : debounceMs);
  };

  const flush = async (paths: Map<ModulePath, boolean>) => {
    const batch: ChangeBatch = { updated: [], removed: [] };
    for (const [path, unlinked] of paths) {
      const previous = store.peekHash(path);
      store.invalidate(path);
      const outcome = await store.load(path);
      if (outcome.ok) {
        if (outcome.module.hash !== previous) batch.updated.push({ path, hash: outcome.module.hash });
      } else if (previous !== undefined || unlinked) {
        batch.removed.push(path);
      }
    }
    if (batch.updated.length > 0 || batch.removed.length > 0) onChange(batch);
  };

  const mark = (file: string, unlinked: boolean) => {
    const path = toUrlPath(file);
    if (path === null || !hasAllowedExtension(path, extensions)) return;
    dirty.set(path, (dirty.get(path) ?? false) || unlinked);
    schedule();
  };

  const watcher: FSWatcher = watch(realRoot, {
    ignoreInitial: true,
    ignored,
    atomic: false,
    followSymlinks: false,
  });
  watcher.on('add', (file) => mark(file, false));
  watcher.on('change', (file) => mark(file, false));
  watcher.on('unlink', (file) => mark(file, true));
  watcher.on('unlinkDir', (dir) => {
    // chokidar reports the files it knew under a removed folder; the store may know more.
    const folder = toUrlPath(dir);
    if (folder === null) return;
    for (const path of store.cachedUnder(folder)) {
      dirty.set(path, true);
    }
    schedule();
  });
  // A watch error (EMFILE, a folder vanishing mid-scan) must not take the relay down.
  watcher.on('error', (error) => console.warn(`modrelay: watcher: ${String(error)}`));

  return new Promise((resolve) => {
    watcher.once('ready', () =>
      resolve({
        close: async () => {
          clearTimeout(timer);
          await watcher.close();
          await flushing;
        },
      }),
    );
  });
}
