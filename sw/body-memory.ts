/**
 * Module bodies kept in memory so a warm hit is answered without `caches.match`, bounded
 * by total bytes: a large project (or a long session of edits) must not grow the worker
 * without limit. Least recently used bodies are dropped first; they stay in Cache Storage,
 * where `ModuleCache.read` finds them again. A Map iterates in insertion order, so moving
 * a body to the end on every use keeps the oldest first.
 */
export class BodyMemory {
  private bodies = new Map<string, ArrayBuffer>();
  private total = 0;

  constructor(readonly maxBytes: number) {}

  get(url: string): ArrayBuffer | undefined {
    const bytes = this.bodies.get(url);
    if (bytes) {
      this.bodies.delete(url);
      this.bodies.set(url, bytes);
    }
    return bytes;
  }

  set(url: string, bytes: ArrayBuffer): void {
    this.delete(url);
    if (bytes.byteLength > this.maxBytes) return; // would push out everything else
    this.bodies.set(url, bytes);
    this.total += bytes.byteLength;
    for (const [oldest, old] of this.bodies) {
      if (this.total <= this.maxBytes) break;
      this.bodies.delete(oldest);
      this.total -= old.byteLength;
    }
  }

  delete(url: string): void {
    const bytes = this.bodies.get(url);
    if (!bytes) return;
    this.bodies.delete(url);
    this.total -= bytes.byteLength;
  }

  /** Bytes held now (for tests and DevTools inspection of the worker). */
  get bytes(): number {
    return this.total;
  }
}
