/**
 * Values kept least recently used first, bounded by their total bytes: past `maxBytes` the
 * oldest are forgotten, so neither the relay (the files it read) nor the worker (the bodies it
 * serves from memory) grows without bound. A value larger than `maxBytes` on its own is not
 * kept, as it would push out everything else (the worker reads such a body from Cache Storage
 * again), unless `keepOversized`: then the newest value stays whatever its size (the relay is
 * serving that file right now, and its pushes compare that file's hash). A Map iterates in
 * insertion order, so moving an entry to the end on every use keeps the oldest first.
 */
export class ByteLru<V> {
  private readonly entries = new Map<string, V>();
  private total = 0;

  constructor(readonly maxBytes: number, private readonly sizeOf: (value: V) => number, private readonly keepOversized = false) {}

  /** Sum of the values' bytes: at most `maxBytes`, plus the newest value when it is oversized and kept. */
  get bytes(): number {
    return this.total;
  }

  /** The value, marked as the most recently used. */
  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  /** The value, leaving the order as it is. */
  peek(key: string): V | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: V): void {
    this.delete(key);
    const size = this.sizeOf(value);
    if (size > this.maxBytes && !this.keepOversized) return;
    this.entries.set(key, value);
    this.total += size;
    for (const [oldest, old] of this.entries) {
      if (this.total <= this.maxBytes || oldest === key) break;
      this.entries.delete(oldest);
      this.total -= this.sizeOf(old);
    }
  }

  delete(key: string): void {
    const value = this.entries.get(key);
    if (value === undefined) return;
    this.entries.delete(key);
    this.total -= this.sizeOf(value);
  }

  keys(): IterableIterator<string> {
    return this.entries.keys();
  }
}
