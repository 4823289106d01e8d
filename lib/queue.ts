/**
 * Runs at most `concurrency` jobs at once, the others waiting first come, first served: a slot
 * freed is handed to the oldest waiter, never taken over by a newcomer. `handOver` runs the
 * next waiter; the relay passes `setImmediate` so its sockets are read between two slices of
 * heavy work (server/relay/connection.ts), the worker runs it at once.
 */
export class Queue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly concurrency: number, private readonly handOver: (next: () => void) => void = (next) => next()) {}

  /** True while a job runs or waits. */
  get busy(): boolean {
    return this.running > 0 || this.waiting.length > 0;
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      if (next) this.handOver(next);
      else this.running--;
    }
  }
}
