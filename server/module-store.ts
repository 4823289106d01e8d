import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import type { ErrorCode, Hash, ModulePath } from '../protocol/wire.js';
import { checkUrlPath, confine, fsFailure, hasAllowedExtension, type PathFailure } from './paths.js';
import { lexerReady, staticImports } from './imports.js';
import { readFileOnce } from './read-file.js';

/**
 * Module bytes kept in memory by default. Far above a real dev graph (three's 387 modules
 * are 2.2 MB), far below what would hurt a developer's machine.
 */
export const DEFAULT_MAX_CACHED_BYTES = 128 * 1024 * 1024;

export interface Module {
  path: ModulePath;
  /** sha-256 of `bytes`, lowercase hex. */
  hash: Hash;
  bytes: Uint8Array;
  /** Root-relative paths this module statically imports (see imports.ts). */
  imports: readonly ModulePath[];
}

export type LoadResult = { ok: true; module: Module } | { ok: false; code: ErrorCode; message: string };

interface Entry {
  /** What the file looked like when read: a different stat means a different file. */
  key: string;
  module: Module;
}

/**
 * Reads, hashes and lexes each module once per change, and keeps the bytes.
 *
 * A cached entry is reused while the file's (mtime, size, device, inode) stay the same, so
 * correctness never depends on the watcher: a change it missed is caught by the next stat.
 * The watcher only calls `invalidate`, which forces a re-read even when the stat looks the
 * same (an editor that restores mtime). Every load goes through the path rules of paths.ts.
 *
 * Loads of one path that overlap share one check: when hundreds of clients walk the same
 * graph at once, each module is stat'ed (or resolved and read) once per wave instead of once
 * per client (that was most of the relay's CPU under load). `invalidate` ends the sharing, so
 * a load after it never gets a result from before it.
 *
 * Cached bytes are bounded by `maxCachedBytes`: past it the least recently used modules are
 * forgotten (and read again if asked for), so a root with huge files cannot grow the relay
 * without bound.
 */
export class ModuleStore {
  /** Files read and hashed so far; tests use it to prove a file is hashed once per change. */
  reads = 0;
  /** Cached modules, least recently used first (a Map iterates in insertion order). */
  private readonly entries = new Map<ModulePath, Entry>();
  /** Sum of the cached modules' byte lengths. */
  private cachedBytes = 0;
  /** Loads in progress, so concurrent requests for one changed file read it once. */
  private readonly pending = new Map<string, Promise<LoadResult>>();
  /** Loads in progress per path, shared by the loads that overlap them. */
  private readonly loading = new Map<ModulePath, Promise<LoadResult>>();
  /**
   * Per path, the hashes clients may hold: every hash `handOut` answered with since the watcher
   * last announced the path. The watcher compares a changed file with these, not with the
   * cache: a request (or the start-up read-ahead) that reads the new bytes between a save and
   * the watcher's flush must not make the save look like "nothing changed" to clients that
   * still hold the old bytes.
   */
  private readonly handedOut = new Map<ModulePath, Set<Hash>>();

  constructor(
    private readonly realRoot: string,
    private readonly extensions: readonly string[],
    private readonly maxFileSize: number,
    private readonly maxCachedBytes = DEFAULT_MAX_CACHED_BYTES,
  ) {}

  /** The module at `path` as it is on disk now, or why it cannot be served. Never throws. */
  load(path: ModulePath): Promise<LoadResult> {
    let loading = this.loading.get(path);
    if (!loading) {
      loading = this.loadChecked(path)
        .catch(fsFailure)
        .finally(() => {
          if (this.loading.get(path) === loading) this.loading.delete(path);
        });
      this.loading.set(path, loading);
    }
    return loading;
  }

  /** The last hash read for `path`, without touching the disk. */
  peekHash(path: ModulePath): Hash | undefined {
    return this.entries.get(path)?.module.hash;
  }

  /** `load` for an answer to a client: the hash is remembered as one clients may hold. */
  async handOut(path: ModulePath): Promise<LoadResult> {
    const outcome = await this.load(path);
    if (outcome.ok) {
      let hashes = this.handedOut.get(path);
      if (!hashes) this.handedOut.set(path, (hashes = new Set()));
      hashes.add(outcome.module.hash);
    }
    return outcome;
  }

  /** Hashes of `path` clients may hold (see `handedOut`); empty if none was served. */
  handedOutHashes(path: ModulePath): ReadonlySet<Hash> {
    return this.handedOut.get(path) ?? new Set();
  }

  /** After a broadcast every client knows `path` as `hash` (or, with null, as gone). */
  announced(path: ModulePath, hash: Hash | null): void {
    if (hash === null) this.handedOut.delete(path);
    else this.handedOut.set(path, new Set([hash]));
  }

  /** Forgets `path` (the watcher saw it change); the next load re-reads it. */
  invalidate(path: ModulePath): void {
    this.forget(path);
    this.loading.delete(path);
  }

  /** Bytes of the modules cached now (at most `maxCachedBytes`, plus the last one read). */
  get bytes(): number {
    return this.cachedBytes;
  }

  /** Cached paths under a folder path ("/lib" → "/lib/a.mjs", …). */
  cachedUnder(folder: ModulePath): ModulePath[] {
    const prefix = folder.endsWith('/') ? folder : `${folder}/`;
    return [...this.entries.keys()].filter((path) => path.startsWith(prefix));
  }

  private async loadChecked(path: ModulePath): Promise<LoadResult> {
    const checked = checkUrlPath(path);
    if (!checked.ok) return checked;
    if (!hasAllowedExtension(path, this.extensions)) {
      return { ok: false, code: 'unsupported-type', message: `only ${this.extensions.join(', ')} files are served` };
    }
    const cached = this.entries.get(path);
    if (cached && (await this.stillSameFile(checked.segments, cached.key))) {
      this.touch(path, cached);
      return { ok: true, module: cached.module };
    }
    const confined = await confine(this.realRoot, checked.segments);
    if (!confined.ok) {
      this.forget(path);
      return confined;
    }
    // The real file's name must carry an allowed extension too: "a.mjs" → "secrets.txt" is refused.
    if (!hasAllowedExtension(confined.real, this.extensions)) {
      return { ok: false, code: 'unsupported-type', message: 'path resolves (through a symlink) to a file type that is not served' };
    }
    const stats = await stat(confined.real);
    const refused = this.refuseStats(stats);
    if (refused) return refused;
    const pendingKey = `${path}\0${statKey(stats)}`;
    let loading = this.pending.get(pendingKey);
    if (!loading) {
      loading = this.read(path, confined.real).finally(() => this.pending.delete(pendingKey));
      this.pending.set(pendingKey, loading);
    }
    return loading;
  }

  /**
   * Fast path for a cached module: one stat through the path instead of realpath + stat. If
   * it lands on the very inode (same device, inode, size, mtime) that passed every rule when
   * it was read, it is that file, whatever happened to the links on the way.
   */
  private async stillSameFile(segments: string[], key: string): Promise<boolean> {
    try {
      return statKey(await stat(join(this.realRoot, ...segments))) === key;
    } catch {
      return false;
    }
  }

  private refuseStats(stats: Stats): PathFailure | null {
    if (!stats.isFile()) return { ok: false, code: 'forbidden', message: 'not a regular file (directory, device, FIFO or socket)' };
    if (stats.size > this.maxFileSize) {
      return { ok: false, code: 'too-large', message: `the module is ${stats.size} bytes; the cap is ${this.maxFileSize}` };
    }
    return null;
  }

  private async read(path: ModulePath, real: string): Promise<LoadResult> {
    const file = await readFileOnce(real, (stats) => this.refuseStats(stats));
    if (!file.ok) return file;
    const body = file.bytes;
    this.reads += 1;
    await lexerReady;
    const module: Module = {
      path,
      hash: createHash('sha256').update(body).digest('hex'),
      bytes: body,
      imports: staticImports(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'), path),
    };
    this.remember(path, { key: statKey(file.stats), module });
    return { ok: true, module };
  }

  /** Marks `path` as the most recently used. */
  private touch(path: ModulePath, entry: Entry): void {
    this.entries.delete(path);
    this.entries.set(path, entry);
  }

  private remember(path: ModulePath, entry: Entry): void {
    this.forget(path);
    this.entries.set(path, entry);
    this.cachedBytes += entry.module.bytes.byteLength;
    // The newest entry stays even if it alone is over the cap: it is being served right now.
    for (const [oldest] of this.entries) {
      if (this.cachedBytes <= this.maxCachedBytes || oldest === path) break;
      this.forget(oldest);
    }
  }

  private forget(path: ModulePath): void {
    const entry = this.entries.get(path);
    if (!entry) return;
    this.entries.delete(path);
    this.cachedBytes -= entry.module.bytes.byteLength;
  }
}

function statKey(stats: Stats): string {
  return `${stats.mtimeMs}:${stats.size}:${stats.dev}:${stats.ino}`;
}
