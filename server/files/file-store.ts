import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import type { ErrorCode, Hash, FilePath } from '../../protocol/wire.js';
import { isScript } from '../../protocol/file-types.js';
import { checkUrlPath, fsFailure, type PathFailure } from './paths.js';
import { lexerReady, staticImports } from './imports.js';
import { asyncCalls, type FileCalls, type OpenFile } from './file-calls.js';
import { openConfined, readWhole, type ConfinedFile } from './read-file.js';
import { ByteLru } from '../../lib/lru.js';
import { ServedFiles } from './served-files.js';
import type { LoadResult, ServedFile, Source } from './source.js';

/**
 * File bytes kept in memory by default. Far above a real dev graph (three's 387 modules
 * are 2.2 MB), far below what would hurt a developer's machine.
 */
export const DEFAULT_MAX_CACHED_BYTES = 128 * 1024 * 1024;

interface Entry {
  /** What the file looked like when read: a different stat means a different file. */
  key: string;
  file: ServedFile;
  bytes: number;
}

/**
 * Reads, hashes and lexes each served file (modules and assets: served-files.ts) once per
 * change, and keeps the bytes.
 *
 * A cached entry is reused while the file's (mtime, size, device, inode) stay the same, so
 * correctness never depends on the watcher: a change it missed is caught by the next stat.
 * The watcher only calls `invalidate`, which forces a re-read even when the stat looks the
 * same (an editor that restores mtime). Every load goes through the path rules of paths.ts.
 *
 * Loads of one path that overlap share one check: when hundreds of clients walk the same
 * graph at once, each file is stat'ed (or resolved and read) once per wave instead of once
 * per client (that was most of the relay's CPU under load). `invalidate` ends the sharing, so
 * a load after it never gets a result from before it.
 *
 * Cached bytes are bounded by `maxCachedBytes` (lib/lru.ts).
 */
export class FileStore implements Source {
  /** Files read and hashed so far; tests use it to prove a file is hashed once per change. */
  reads = 0;
  private readonly entries: ByteLru<Entry>;
  /** Loads in progress, so concurrent requests for one changed file read it once. */
  private readonly pending = new Map<string, Promise<LoadResult>>();
  /** Loads in progress per path, shared by the loads that overlap them. */
  private readonly loading = new Map<FilePath, Promise<LoadResult>>();
  /**
   * Per path, the hashes clients may hold: every hash `loadForClient` answered with since the watcher
   * last announced the path. The watcher compares a changed file with these, not with the
   * cache: a request (or the start-up read-ahead) that reads the new bytes between a save and
   * the watcher's flush must not make the save look like "nothing changed" to clients that
   * still hold the old bytes.
   */
  private readonly held = new Map<FilePath, Set<Hash>>();

  private readonly served: ServedFiles;

  constructor(
    /** The root folder, symlinks resolved. */
    readonly realRoot: string,
    extensions: readonly string[],
    private readonly maxFileSize: number,
    maxCachedBytes = DEFAULT_MAX_CACHED_BYTES,
  ) {
    this.served = new ServedFiles(extensions);
    this.entries = new ByteLru<Entry>(maxCachedBytes, (entry) => entry.bytes, true);
  }

  /**
   * The file at `path` as it is on disk now, or why it cannot be served. Never throws.
   * `calls`: how the disk is read (file-calls.ts).
   */
  load(path: FilePath, calls: FileCalls = asyncCalls): Promise<LoadResult> {
    let loading = this.loading.get(path);
    if (!loading) {
      loading = this.loadChecked(path, calls)
        .catch(fsFailure)
        .finally(() => {
          if (this.loading.get(path) === loading) this.loading.delete(path);
        });
      this.loading.set(path, loading);
    }
    return loading;
  }

  /** The last hash read for `path`, without touching the disk. */
  peekHash(path: FilePath): Hash | undefined {
    return this.entries.peek(path)?.file.hash;
  }

  /** `load` for an answer to a client: the hash is remembered as one clients may hold. */
  async loadForClient(path: FilePath): Promise<LoadResult> {
    const outcome = await this.load(path);
    if (outcome.ok) {
      let hashes = this.held.get(path);
      if (!hashes) this.held.set(path, (hashes = new Set()));
      hashes.add(outcome.file.hash);
    }
    return outcome;
  }

  /** Hashes of `path` clients may hold (see `held`); empty if none was served. */
  heldHashes(path: FilePath): ReadonlySet<Hash> {
    return this.held.get(path) ?? new Set();
  }

  /** After a broadcast every client knows `path` as `hash` (or, with null, as gone). */
  announced(path: FilePath, hash: Hash | null): void {
    if (hash === null) this.held.delete(path);
    else this.held.set(path, new Set([hash]));
  }

  /** Forgets `path` (the watcher saw it change); the next load re-reads it. */
  invalidate(path: FilePath): void {
    this.entries.delete(path);
    this.loading.delete(path);
  }

  /** Bytes of the modules cached now (at most `maxCachedBytes`, plus the last one read). */
  get bytes(): number {
    return this.entries.bytes;
  }

  knownCount(): number {
    return this.knownPaths().length;
  }

  /** Every path the store read or handed out: what clients may hold. */
  knownPaths(): FilePath[] {
    return [...new Set([...this.entries.keys(), ...this.held.keys()])];
  }

  /** Cached paths under a folder path ("/lib" → "/lib/a.mjs", …). */
  cachedUnder(folder: FilePath): FilePath[] {
    const prefix = folder.endsWith('/') ? folder : `${folder}/`;
    return [...this.entries.keys()].filter((path) => path.startsWith(prefix));
  }

  private async loadChecked(path: FilePath, calls: FileCalls): Promise<LoadResult> {
    const checked = checkUrlPath(path);
    if (!checked.ok) return checked;
    const refused = this.served.refusal(path);
    if (refused) return refused;
    const cached = this.entries.peek(path);
    if (cached && (await this.stillSameFile(checked.segments, cached.key, calls))) {
      this.entries.get(path); // most recently used
      return { ok: true, file: cached.file };
    }
    const opened = await openConfined(this.realRoot, checked.segments, (real, stats) => this.refusal(path, real, stats), calls);
    if (!opened.ok) {
      this.entries.delete(path);
      return opened;
    }
    const { file } = opened;
    const pendingKey = `${path}\0${statKey(file.stats)}`;
    const pending = this.pending.get(pendingKey);
    if (pending) {
      await file.handle.close().catch(() => {});
      return pending;
    }
    const loading = this.read(path, file).finally(() => this.pending.delete(pendingKey));
    this.pending.set(pendingKey, loading);
    return loading;
  }

  /**
   * Why an opened file (its real path, its descriptor's stat) may not be served as `path`, or
   * null. `sizeCapped: false` for `serve`'s streaming of files over the cap.
   */
  refusal(path: FilePath, real: string, stats: Stats, { sizeCapped = true } = {}): PathFailure | null {
    // The real file's name must be served too, as the same type: "a.mjs" → "secrets.txt" is refused.
    if (this.served.refusal(real) || this.served.contentType(real) !== this.served.contentType(path)) {
      return { ok: false, code: 'unsupported-type', message: 'path resolves (through a symlink) to a file type that is not served as this one' };
    }
    if (!stats.isFile()) return { ok: false, code: 'forbidden', message: 'not a regular file (directory, device, FIFO or socket)' };
    if (sizeCapped && stats.size > this.maxFileSize) {
      return { ok: false, code: 'too-large', message: `the file is ${stats.size} bytes; the cap is ${this.maxFileSize}` };
    }
    return null;
  }

  contentType(path: FilePath): string {
    return this.served.contentType(path);
  }

  /**
   * Fast path for a cached file: one stat through the path instead of realpath + stat. If
   * it lands on the very inode (same device, inode, size, mtime) that passed every rule when
   * it was read, it is that file, whatever happened to the links on the way.
   */
  private async stillSameFile(segments: string[], key: string, calls: FileCalls): Promise<boolean> {
    try {
      return statKey(await calls.stat(join(this.realRoot, ...segments))) === key;
    } catch {
      return false;
    }
  }

  /** Reads an opened, checked file (and closes it): the bytes served are the bytes hashed. */
  private async read(path: FilePath, file: ConfinedFile<OpenFile>): Promise<LoadResult> {
    let body: Uint8Array;
    try {
      body = await readWhole(file);
    } catch (error) {
      return fsFailure(error);
    } finally {
      await file.handle.close().catch(() => {});
    }
    this.reads += 1;
    const contentType = this.served.contentType(path);
    let imports: FilePath[] = [];
    if (isScript(path)) {
      await lexerReady;
      imports = staticImports(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'), path);
    }
    const served: ServedFile = { path, hash: createHash('sha256').update(body).digest('hex'), bytes: body, contentType, imports };
    this.entries.set(path, { key: statKey(file.stats), file: served, bytes: body.byteLength });
    return { ok: true, file: served };
  }
}

function statKey(stats: Stats): string {
  return `${stats.mtimeMs}:${stats.size}:${stats.dev}:${stats.ino}`;
}
