/**
 * Files read, kept least recently used first and bounded by their total bytes: past
 * `maxBytes` the oldest are forgotten (and read again if asked for), so a root with huge
 * files cannot grow the relay without bound. A Map iterates in insertion order, so moving an
 * entry to the end on every use keeps the oldest first.
 */
export class RecentFiles<Entry extends { bytes: number }> {
  private readonly entries = new Map<string, Entry>();
  private total = 0;

  constructor(private readonly maxBytes: number) {}

  /** Sum of the entries' bytes (at most `maxBytes`, plus the newest one). */
  get bytes(): number {
    return this.total;
  }

  get(path: string): Entry | undefined {
    return this.entries.get(path);
  }

  /** Marks `path` as the most recently used. */
  touch(path: string, entry: Entry): void {
    this.entries.delete(path);
    this.entries.set(path, entry);
  }

  set(path: string, entry: Entry): void {
    this.delete(path);
    this.entries.set(path, entry);
    this.total += entry.bytes;
    // The newest entry stays even if it alone is over the cap: it is being served right now.
    for (const [oldest] of this.entries) {
      if (this.total <= this.maxBytes || oldest === path) break;
      this.delete(oldest);
    }
  }

  delete(path: string): void {
    const entry = this.entries.get(path);
    if (!entry) return;
    this.entries.delete(path);
    this.total -= entry.bytes;
  }

  paths(): IterableIterator<string> {
    return this.entries.keys();
  }
}
