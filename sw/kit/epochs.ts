import type { FilePath } from '../../protocol/wire.js';

/**
 * One counter per path, bumped whenever what the worker knows of that path is invalidated
 * (an edit, a deletion, a changed hash found by validation). Bytes are stamped with the
 * epoch in force when they arrived; once it has moved they are stale and neither cached nor
 * served. One instance per worker, shared by both stores, so one bump covers them all.
 */
export class Epochs {
  private counters = new Map<FilePath, number>();

  of(path: FilePath): number {
    return this.counters.get(path) ?? 0;
  }

  bump(path: FilePath): void {
    this.counters.set(path, this.of(path) + 1);
  }
}
