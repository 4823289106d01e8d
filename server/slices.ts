/**
 * Heavy work in slices, taken in turn: one relay-wide queue through which every connection's
 * manifest checks pass a slice (MANIFEST_SLICE paths) at a time. A connection that sends
 * dozens of 20,000-entry manifests then waits its turn like everyone else, and a plain module
 * request from another connection (which never queues here) finds at most a slice's worth of
 * file checks ahead of it in libuv's thread pool, instead of hundreds of thousands.
 */
export class Slices {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly concurrency = 1) {}

  async run<T>(slice: () => Promise<T>): Promise<T> {
    // First come, first served: a slot freed is handed to the oldest waiter, never taken over.
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await slice();
    } finally {
      const next = this.waiting.shift();
      // Let sockets be read before the next slice starts: their requests do not queue here.
      if (next) setImmediate(next);
      else this.running--;
    }
  }
}
