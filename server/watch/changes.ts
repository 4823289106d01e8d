import type { Hash, FilePath } from '../../protocol/wire.js';
import { asyncCalls, syncCalls, type FileCalls } from '../files/file-calls.js';
import type { FileStore } from '../files/file-store.js';

/** What one flush reports: the paths whose hash changed, and those that are gone. */
export interface ChangeBatch {
  updated: { path: FilePath; hash: Hash }[];
  removed: FilePath[];
}

/** Removed paths remembered for a root made again; past this the oldest are forgotten. */
const MAX_REMEMBERED_REMOVALS = 20_000;

/** A burst of events longer than this many debounce windows is flushed anyway. */
const MAX_WAIT_WINDOWS = 10;

/**
 * The first change after a quiet period is flushed this soon: long enough to take the events
 * of one save together (a rename-over or a truncate-and-write is a few events within a
 * millisecond or two), short enough that a hot update is not kept waiting.
 */
const QUICK_MS = 3;

/**
 * Each flushed path is checked once more this long after its flush: a watch that folds a
 * file's events together (macOS's FSEvents does; chokidar, used before folder-watch.ts,
 * dropped a second 'change' within 50 ms) would leave a save made soon after another
 * unannounced. The check re-hashes, so it costs a read and says nothing when nothing changed.
 */
const SETTLE_MS = 110;

/**
 * A quick flush of at most this many paths (one save, a formatter's few) reads them with
 * blocking calls (server/files/file-calls.ts): they are announced before whatever other I/O the
 * process has queued. Larger flushes (a checkout, a build) use the promise API.
 */
const MAX_SYNC_PATHS = 4;

interface Dirty {
  /** An event said the file went away, or the relay knew the file: a failed load means removed. */
  maybeGone: boolean;
  /** Only a later check wants this path (no event since its last flush). */
  settle: boolean;
}

/**
 * Touched paths, coalesced into flushes (the timing is described at `watchRoot`, watcher.ts).
 * A flush loads each path again and reports only a changed hash or a file that is gone.
 */
export class Changes {
  private dirty = new Map<FilePath, Dirty>();
  private timer: NodeJS.Timeout | undefined;
  /** The pending timer is the short one of a quiet period's first event. */
  private quick = false;
  private burstStartedAt = 0;
  private lastFlushAt = -Infinity;
  private running = false;
  private closed = false;
  private settleTimers = new Set<NodeJS.Timeout>();
  /** Paths last announced as removed, oldest first: a root made again checks them (watcher.ts). */
  private readonly removed = new Set<FilePath>();
  /** Flushes run one after another so batches are reported in order. */
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: FileStore,
    private readonly debounceMs: number,
    private readonly onChange: (batch: ChangeBatch) => void,
  ) {}

  /** An event touched `paths`; `unlinked`: it said they went away. */
  mark(paths: Iterable<FilePath>, unlinked: boolean): void {
    for (const path of paths) this.markDirty(path, { maybeGone: unlinked, settle: false });
    this.schedule();
  }

  removedPaths(): FilePath[] {
    return [...this.removed];
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
    const calls = this.quick && paths.size <= MAX_SYNC_PATHS ? syncCalls : asyncCalls;
    this.flushing = this.flush(paths, calls)
      .catch(() => {})
      .finally(() => {
        this.running = false;
        this.lastFlushAt = Date.now();
        if (this.dirty.size > 0) this.schedule();
      });
  }

  private markDirty(path: FilePath, state: Dirty): void {
    const known = this.dirty.get(path);
    this.dirty.set(path, known ? { maybeGone: known.maybeGone || state.maybeGone, settle: known.settle && state.settle } : state);
  }

  /** Checks `paths` again after `delayMs` (the path → `maybeGone` of the next check). */
  private checkLater(paths: Map<FilePath, boolean>, delayMs: number): void {
    if (paths.size === 0 || this.closed) return;
    const settle = setTimeout(() => {
      this.settleTimers.delete(settle);
      for (const [path, maybeGone] of paths) this.markDirty(path, { maybeGone, settle: true });
      this.schedule();
    }, delayMs);
    this.settleTimers.add(settle);
  }

  private async flush(paths: Map<FilePath, Dirty>, calls: FileCalls): Promise<void> {
    const batch: ChangeBatch = { updated: [], removed: [] };
    const recheck = new Map<FilePath, boolean>();
    const confirm = new Map<FilePath, boolean>();
    for (const [path, { maybeGone, settle }] of paths) {
      const held = this.store.heldHashes(path);
      this.store.invalidate(path);
      const outcome = await this.store.load(path, calls);
      const gone = maybeGone || held.size > 0;
      if (outcome.ok) {
        const { hash } = outcome.file;
        // Announce unless every copy a client may hold already is this version (a save with
        // the same content). A path nobody was served is announced too: cheap, and never wrong.
        if (held.size !== 1 || !held.has(hash)) batch.updated.push({ path, hash });
        this.removed.delete(path);
        this.store.announced(path, hash);
        if (!settle) recheck.set(path, gone);
      } else if (!settle) {
        confirm.set(path, gone);
      } else if (gone) {
        batch.removed.push(path);
        this.store.announced(path, null);
        this.removed.add(path);
        if (this.removed.size > MAX_REMEMBERED_REMOVALS) this.removed.delete(this.removed.values().next().value!);
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
