import { watch, type FSWatcher } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join, sep } from 'node:path';

/** What a watch reports, as absolute paths. */
export interface FolderEvents {
  /** `file` may have changed; `maybeGone`: the event was a create, delete or rename. */
  touched(file: string, maybeGone: boolean): void;
  /** A watched folder went away (deleted, renamed, replaced): everything under it may be gone. */
  folderGone(folder: string): void;
  warn(message: string): void;
}

/** Folders watched at most; a root with more is watched in part, with a warning. */
export const MAX_FOLDERS = 20_000;

/**
 * Watches a folder tree with one `fs.watch` per folder (inotify on Linux) and reports each
 * event's path as it comes, with no stat and no re-read. Written here, not taken from a
 * library: chokidar re-reads a folder (a readdir and an `lstat` per entry) on every change
 * inside it, about 20 ms of the relay's thread per save in lodash-es's 640-file folder, on the
 * hot update's path (docs/performance.md, observation 9); @parcel/watcher holds events
 * until 50 ms pass without one (its src/Debounce.hh). What a path's event means is decided
 * by re-hashing it (changes.ts), so a watch only has to say where to look.
 *
 * A new folder is watched before it is read, so a file made in it meanwhile is seen either
 * way; its files are reported (they may be new). Symbolic links are not followed. A folder's
 * own removal is also reported by its watcher, as an entry named like the folder: that path
 * is then checked like any other and found missing. The root's replacement is watcher.ts's.
 */
export class FolderWatch {
  private readonly folders = new Map<string, FSWatcher>();
  private closed = false;
  /** Kinds of trouble warned about already (an error code, 'full'). */
  private readonly warned = new Set<string>();

  constructor(
    private readonly root: string,
    private readonly ignored: (path: string) => boolean,
    private readonly events: FolderEvents,
    private readonly maxFolders = MAX_FOLDERS,
  ) {}

  /** Watches the root and every folder under it; resolves once they are all watched. */
  start(): Promise<void> {
    return this.add(this.root, true);
  }

  close(): void {
    this.closed = true;
    for (const watcher of this.folders.values()) watcher.close();
    this.folders.clear();
  }

  /** Watches `folder` and, depth first, the folders under it; `initial`: the start's scan (its files are not news). */
  private async add(folder: string, initial: boolean): Promise<void> {
    if (this.closed || this.folders.has(folder)) return;
    if (this.folders.size >= this.maxFolders) {
      if (!this.warned.has('full')) this.events.warn(`more than ${this.maxFolders} folders: changes in the others are seen on the next request`);
      this.warned.add('full');
      return;
    }
    let watcher: FSWatcher;
    try {
      watcher = watch(folder, { persistent: true }, (type, name) => this.onEvent(folder, type, name));
    } catch (error) {
      // Gone or replaced by a file before we got to it: its parent's event said so. Otherwise
      // (the system's watch limit, ENOSPC) warn once per kind, not once per folder.
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      if (!isMissing(error) && !this.warned.has(code)) this.events.warn(`${folder}: ${String(error)} (warned once)`);
      this.warned.add(code);
      return;
    }
    // A watch error (the folder vanishing on some systems, EMFILE) stops that folder, never the relay.
    watcher.on('error', () => this.drop(folder));
    this.folders.set(folder, watcher);
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch {
      return this.drop(folder);
    }
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (this.ignored(path)) continue;
      if (entry.isDirectory()) await this.add(path, initial);
      else if (!initial && entry.isFile()) this.events.touched(path, false);
    }
  }

  private onEvent(folder: string, type: string, name: string | Buffer | null): void {
    if (this.closed || !this.folders.has(folder)) return;
    // Linux names the entry of every event; without a name, look at the whole folder again.
    if (name === null) return void this.rescan(folder);
    const path = join(folder, String(name));
    if (this.ignored(path)) return;
    if (type === 'change') return this.events.touched(path, false);
    // 'rename': an entry appeared, went away or was replaced.
    this.events.touched(path, true);
    void this.renamed(path);
  }

  /** An entry appeared, went away or was replaced: a folder is watched (again), a watched one that went is dropped. */
  private async renamed(path: string): Promise<void> {
    const isFolder = await lstat(path).then((stats) => stats.isDirectory(), () => false);
    if (this.closed) return;
    if (this.folders.has(path)) this.gone(path);
    if (isFolder) await this.add(path, false);
  }

  private async rescan(folder: string): Promise<void> {
    this.gone(folder);
    await this.add(folder, false);
  }

  /** Stops watching `folder` and everything under it, and says everything there may be gone. */
  private gone(folder: string): void {
    const prefix = `${folder}${sep}`;
    for (const [path, watcher] of this.folders) {
      if (path === folder || path.startsWith(prefix)) {
        watcher.close();
        this.folders.delete(path);
      }
    }
    this.events.folderGone(folder);
  }

  private drop(folder: string): void {
    this.folders.get(folder)?.close();
    this.folders.delete(folder);
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
