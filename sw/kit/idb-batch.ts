import { promisifyRequest, type UseStore } from 'idb-keyval';

/**
 * Writes to one IndexedDB object store (a value, or null to delete), queued and applied in
 * order in one transaction per burst instead of one per key: a cold load of a large graph
 * records hundreds of entries at once, and a delete must never be overtaken by an older
 * write. A burst is everything written before the next macrotask.
 */
export class IdbBatch<V> {
  private batch = new Map<string, V | null>();
  private flush: Promise<void> | undefined;

  constructor(private readonly store: Promise<UseStore>) {}

  /** Resolves once the write is in IndexedDB; rejects if its transaction failed. */
  write(key: string, value: V | null): Promise<void> {
    // Only the last write of a key matters; moving it to the end keeps it after the others.
    this.batch.delete(key);
    this.batch.set(key, value);
    this.flush ??= new Promise<void>((resolve) => setTimeout(resolve, 0)).then(async () => {
      const batch = [...this.batch];
      this.batch.clear();
      this.flush = undefined;
      const run = await this.store;
      return run('readwrite', (store) => {
        for (const [key, value] of batch) {
          if (value === null) store.delete(key);
          else store.put(value, key);
        }
        return promisifyRequest(store.transaction);
      });
    });
    return this.flush;
  }
}
