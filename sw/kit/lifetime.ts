/**
 * The work one fetch or message started that the worker must finish before it may stop: cache
 * writes, HTTP-cache copies, a relay answer that came after the budget and is still cached.
 * Workbox's `StrategyHandler.waitUntil()` / `doneWaiting()` is the model: work added while
 * `done()` waits is waited for too, so a step that starts more work (a late answer, then its
 * cache write) needs no second settle.
 */
export class Lifetime {
  private readonly work: Promise<unknown>[] = [];

  /** Adds `promise` to what `done()` waits for; returns it. */
  waitUntil<T>(promise: Promise<T>): Promise<T> {
    this.work.push(promise);
    return promise;
  }

  /** Resolves once every promise added (before or while waiting) has settled. Never rejects. */
  async done(): Promise<void> {
    while (this.work.length > 0) await Promise.allSettled(this.work.splice(0));
  }
}

/** A fetch event's answer: the response now, and the work it started (for `event.waitUntil`). */
export interface Handled {
  response: Promise<Response>;
  done: Promise<void>;
}

/** Runs `answer` with a new `Lifetime`; `done` settles once the response and all its work have. */
export function handled(answer: (lifetime: Lifetime) => Promise<Response>): Handled {
  const lifetime = new Lifetime();
  const response = lifetime.waitUntil(answer(lifetime));
  return { response, done: lifetime.done() };
}
