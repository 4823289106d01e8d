import type { ErrorCode, FilePath, Hash } from '../../protocol/wire.js';

/** One served file as the relay sends it: a module or any other file of an allowed type. */
export interface ServedFile {
  path: FilePath;
  /** sha-256 of `bytes`, lowercase hex. */
  hash: Hash;
  bytes: Uint8Array;
  /** What it is served as (protocol/file-types.ts). */
  contentType: string;
  /** Root-relative paths this file statically imports (imports.ts): pushed with it. None for assets. */
  imports: readonly FilePath[];
}

export type LoadResult = { ok: true; file: ServedFile } | { ok: false; code: ErrorCode; message: string };

/** What one flush of changes reports: the paths whose hash changed, and those that are gone. */
export interface ChangeBatch {
  updated: { path: FilePath; hash: Hash }[];
  removed: FilePath[];
}

/**
 * Where the relay's bodies come from — the seam between the relay and what it serves. The disk
 * is one source (file-store.ts, watched by server/watch/); any other must say, for a path, what
 * its bytes are now, and report changes as `ChangeBatch`es to the relay (`Relay.announce`).
 */
export interface Source {
  /** The file at `path` now, for a client: its hash is remembered as one clients may hold. Never throws. */
  loadForClient(path: FilePath): Promise<LoadResult>;
  /** The hash last read for `path`, without reading: a push checks that its file did not change meanwhile. */
  peekHash(path: FilePath): Hash | undefined;
  /** How many paths the source read or handed out (the status's `known`). */
  knownCount(): number;
}
