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
 * The first change after a quiet period is flushed this soon: long enough to take the events
 * of one save together (chokidar reports a rename-over or a truncate-and-write as a few events
 * within a millisecond or two), short enough that a hot update is not kept waiting.
 */
const QUICK_MS = 3;

/**
 * Each flushed path is checked once more this long after its flush. chokidar drops (does not
 * delay) a second 'change' for a file within 50 ms of the last one it emitted, and a second
 * 'unlink' within 100 ms (node_modules/chokidar/index.js `_throttle`): a save 30 ms after
 * another would otherwise never be announced. The check re-hashes, so it costs a read and
 * says nothing when nothing changed.
 */
const SETTLE_MS = 110;

interface Dirty {
  /** An event said the file went away, or the relay knew the file: a failed load means removed. */
  maybeGone: boolean;
  /** Only a later check wants this path (no event since its last flush). */
  settle: boolean;
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
  // chokidar calls this for every entry each time it re-reads a folder, which it does on any
  // change inside it (throttled to once a second), so it sits on the hot-update path of a
  // large flat folder (lodash-es: 640 files): plain string tests, no path.relative or split.
  const prefix = realRoot.endsWith(sep) ? realRoot : `${realRoot}${sep}`;
  const ignored = (file: string): boolean => {
    if (!file.startsWith(prefix)) return false;
    const wrapped = `${sep}${file.slice(prefix.length)}${sep}`;
    return wrapped.includes(`${sep}.`) || wrapped.includes(`${sep}node_modules${sep}`);
  };

  const dirty = new Map<ModulePath, Dirty>();
  let timer: NodeJS.Timeout | undefined;
  /** The pending timer is the short one of a quiet period's first event. */
  let quick = false;
  let burstStartedAt = 0;
  let lastFlushAt = -Infinity;
  let running = false;
  let closed = false;
  const settleTimers = new Set<NodeJS.Timeout>();

  const schedule = () => {
    if (running || closed) return; // the running flush schedules again when it ends
    const now = Date.now();
    if (timer === undefined) {
      burstStartedAt = now;
      quick = now - lastFlushAt >= debounceMs;
      timer = setTimeout(run, quick ? Math.min(QUICK_MS, debounceMs) : debounceMs);
      return;
    }
    if (quick) return; // the quick flush takes this event along
    clearTimeout(timer);
    const overdue = now - burstStartedAt >= debounceMs * MAX_WAIT_WINDOWS;
    timer = setTimeout(run, overdue ? 0 : debounceMs);
  };

  /** Flushes run one after another so batches are reported in order. */
  let flushing: Promise<void> = Promise.resolve();
  const run = () => {
    timer = undefined;
    running = true;
    const paths = new Map(dirty);
    dirty.clear();
    flushing = flush(paths)
      .catch(() => {})
      .finally(() => {
        running = false;
        lastFlushAt = Date.now();
        if (dirty.size > 0) schedule();
      });
  };

  const markDirty = (path: ModulePath, state: Dirty) => {
    const known = dirty.get(path);
    dirty.set(path, known ? { maybeGone: known.maybeGone || state.maybeGone, settle: known.settle && state.settle } : state);
  };

  /** Checks `paths` again after `delayMs` (the path → `maybeGone` of the next check). */
  const checkLater = (paths: Map<ModulePath, boolean>, delayMs: number) => {
    if (paths.size === 0 || closed) return;
    const settle = setTimeout(() => {
      settleTimers.delete(settle);
      for (const [path, maybeGone] of paths) markDirty(path, { maybeGone, settle: true });
      schedule();
    }, delayMs);
    settleTimers.add(settle);
  };

  const flush = async (paths: Map<ModulePath, Dirty>) => {
    const batch: ChangeBatch = { updated: [], removed: [] };
    const recheck = new Map<ModulePath, boolean>();
    const confirm = new Map<ModulePath, boolean>();
    for (const [path, { maybeGone, settle }] of paths) {
      const held = store.handedOutHashes(path);
      store.invalidate(path);
      const outcome = await store.load(path);
      const gone = maybeGone || held.size > 0;
      if (outcome.ok) {
        const { hash } = outcome.module;
        // Announce unless every copy a client may hold already is this version (a save with
        // the same content). A path nobody was served is announced too: cheap, and never wrong.
        if (held.size !== 1 || !held.has(hash)) batch.updated.push({ path, hash });
        store.announced(path, hash);
        if (!settle) recheck.set(path, gone);
      } else if (!settle) {
        confirm.set(path, gone);
      } else if (gone) {
        batch.removed.push(path);
        store.announced(path, null);
      }
    }
    checkLater(recheck, SETTLE_MS);
    // A path that looks gone is announced only if it is still gone a debounce window later: an
    // editor that moves the file away and writes a new one (vim's backup) makes one update, not
    // a removal and then an update.
    checkLater(confirm, Math.max(debounceMs, QUICK_MS));
    if (batch.updated.length > 0 || batch.removed.length > 0) onChange(batch);
  };

  const mark = (file: string, unlinked: boolean) => {
    const path = toUrlPath(file);
    if (path === null || !hasAllowedExtension(path, extensions)) return;
    markDirty(path, { maybeGone: unlinked, settle: false });
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
    for (const path of store.cachedUnder(folder)) markDirty(path, { maybeGone: true, settle: false });
    schedule();
  });
  // A watch error (EMFILE, a folder vanishing mid-scan) must not take the relay down.
  watcher.on('error', (error) => console.warn(`modrelay: watcher: ${String(error)}`));

  return new Promise((resolve) => {
    watcher.once('ready', () =>
      resolve({
        close: async () => {
          closed = true;
          clearTimeout(timer);
          for (const settle of settleTimers) clearTimeout(settle);
          await watcher.close();
          await flushing;
        },
      }),
    );
  });
}
