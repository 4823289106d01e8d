import { after } from '../kit/deferred.js';
import type { Pushes } from '../relay/pushes.js';

/** A load is over once no fetch event came for this long and no push is on its way. */
const LOAD_QUIET_MS = 500;
/** `done()` never waits longer: a page that keeps loading files must not hold writes back for good. */
const MAX_WAIT_MS = 10_000;

/**
 * When the pages' loads through this worker are over: storage writes (each holds the worker's
 * thread) wait for it rather than slow a load down, and a version that replaces this one
 * activates between loads (sw/main.ts). It wakes on what it waits for — the quiet time after
 * the last fetch event, the last push landing — never on a fixed tick.
 */
export class Loads {
  private lastFetchAt = 0;

  constructor(private readonly pushes: Pushes) {}

  /** A fetch event came. */
  fetched(): void {
    this.lastFetchAt = Date.now();
  }

  /** Resolves once no fetch event came for LOAD_QUIET_MS and nothing pushed is on its way, or after MAX_WAIT_MS. */
  async done(): Promise<void> {
    const until = Date.now() + MAX_WAIT_MS;
    for (;;) {
      const now = Date.now();
      if (now >= until) return;
      const quietIn = this.lastFetchAt + LOAD_QUIET_MS - now;
      if (quietIn > 0) await after(Math.min(quietIn, until - now), undefined);
      else if (this.pushes.busy()) await Promise.race([this.pushes.idle(), after(until - now, undefined)]);
      else return;
    }
  }
}
