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
export async function watchRoot(
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
  const changes = new Changes(store, debounceMs, onChange);
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
  return {
    close: async () => {
      changes.close();
      await watcher.close();
      await changes.flushed();
    },
  };
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

/** Touched paths, coalesced into flushes (timing in the comment of `watchRoot`). */
class Changes {
  private dirty = new Map<ModulePath, Dirty>();
  private timer: NodeJS.Timeout | undefined;
  /** The pending timer is the short one of a quiet period's first event. */
  private quick = false;
  private burstStartedAt = 0;
  private lastFlushAt = -Infinity;
  private running = false;
  private closed = false;
  private settleTimers = new Set<NodeJS.Timeout>();
  /** Flushes run one after another so batches are reported in order. */
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ModuleStore,
    private readonly debounceMs: number,
    private readonly onChange: (batch: ChangeBatch) => void,
  ) {}

  /** An event touched `paths`; `unlinked`: it said they went away. */
  mark(paths: Iterable<ModulePath>, unlinked: boolean): void {
    for (const path of paths) this.markDirty(path, { maybeGone: unlinked, settle: false });
    this.schedule();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const settle of this.settleTimers) clearTimeout(settle);
  }

  flushed(): Promise<void> {
    return this.flushing;
  }

  private schedule(): void {
    if (this.running || this.closed) return; // the running flush schedules again when it ends
    const now = Date.now();
    if (this.timer === undefined) {
      this.burstStartedAt = now;
      this.quick = now - this.lastFlushAt >= this.debounceMs;
      this.timer = setTimeout(() => this.run(), this.quick ? Math.min(QUICK_MS, this.debounceMs) : this.debounceMs);
      return;
    }
    if (this.quick) return; // the quick flush takes this event along
    clearTimeout(this.timer);
    const overdue = now - this.burstStartedAt >= this.debounceMs * MAX_WAIT_WINDOWS;
    this.timer = setTimeout(() => this.run(), overdue ? 0 : this.debounceMs);
  }

  private run(): void {
    this.timer = undefined;
    this.running = true;
    const paths = new Map(this.dirty);
    this.dirty.clear();
    this.flushing = this.flush(paths)
      .catch(() => {})
      .finally(() => {
        this.running = false;
        this.lastFlushAt = Date.now();
        if (this.dirty.size > 0) this.schedule();
      });
  }

  private markDirty(path: ModulePath, state: Dirty): void {
    const known = this.dirty.get(path);
    this.dirty.set(path, known ? { maybeGone: known.maybeGone || state.maybeGone, settle: known.settle && state.settle } : state);
  }

  /** Checks `paths` again after `delayMs` (the path → `maybeGone` of the next check). */
  private checkLater(paths: Map<ModulePath, boolean>, delayMs: number): void {
    if (paths.size === 0 || this.closed) return;
    const settle = setTimeout(() => {
      this.settleTimers.delete(settle);
      for (const [path, maybeGone] of paths) this.markDirty(path, { maybeGone, settle: true });
      this.schedule();
    }, delayMs);
    this.settleTimers.add(settle);
  }

  private async flush(paths: Map<ModulePath, Dirty>): Promise<void> {
    const batch: ChangeBatch = { updated: [], removed: [] };
    const recheck = new Map<ModulePath, boolean>();
    const confirm = new Map<ModulePath, boolean>();
    for (const [path, { maybeGone, settle }] of paths) {
      const held = this.store.handedOutHashes(path);
      this.store.invalidate(path);
      const outcome = await this.store.load(path);
      const gone = maybeGone || held.size > 0;
      if (outcome.ok) {
        const { hash } = outcome.module;
        // Announce unless every copy a client may hold already is this version (a save with
        // the same content). A path nobody was served is announced too: cheap, and never wrong.
        if (held.size !== 1 || !held.has(hash)) batch.updated.push({ path, hash });
        this.store.announced(path, hash);
        if (!settle) recheck.set(path, gone);
      } else if (!settle) {
        confirm.set(path, gone);
      } else if (gone) {
        batch.removed.push(path);
        this.store.announced(path, null);
      }
    }
    this.checkLater(recheck, SETTLE_MS);
    // A path that looks gone is announced only if it is still gone a debounce window later: an
    // editor that moves the file away and writes a new one (vim's backup) makes one update, not
    // a removal and then an update.
    this.checkLater(confirm, Math.max(this.debounceMs, QUICK_MS));
    if (batch.updated.length > 0 || batch.removed.length > 0) this.onChange(batch);
  }
}
