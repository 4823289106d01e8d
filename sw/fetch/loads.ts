import { after, deferred } from '../kit/deferred.js';
import type { Pushes } from '../relay/pushes.js';

/** Without a word from the page, a load is over once no fetch event came for this long and no push is on its way. */
const LOAD_QUIET_MS = 250;
/**
 * `done()` never waits longer than this: the caches must be written soon after a page loaded
 * (offline after one visit, even if the browser dies a second later), whatever else it keeps
 * fetching — media streaming, a poll, a push that never lands.
 */
const MAX_WAIT_MS = 1000;

/**
 * When the pages' loads through this worker are over: storage writes (each holds the worker's
 * thread) wait for it rather than slow a load down, and a version that replaces this one
 * activates between loads (sw/engine.ts). The pages say it themselves (`loads:quiet`: loaded,
 * and no served file for a moment: client/loads.ts); without that word, the fetch events and
 * pushes tell. It wakes on what it waits for — a page's word, the quiet after the last fetch
 * event, the last push landing, its bound — never on a fixed tick.
 */
export class Loads {
  private lastFetchAt = 0;
  private pageQuietAt = 0;
  /** Resolved (and replaced) when a page says its loads are over. */
  private pageSaid = deferred<void>();

  constructor(private readonly pushes: Pushes) {}

  /** A fetch event came. */
  fetched(): void {
    this.lastFetchAt = Date.now();
  }

  /** A page said its loads are over. */
  pageQuiet(): void {
    this.pageQuietAt = Date.now();
    const said = this.pageSaid;
    this.pageSaid = deferred();
    said.resolve();
  }

  /** Resolves once the loads are over (a page said so since the last fetch event, or the fetch events and pushes went quiet), or after MAX_WAIT_MS. */
  async done(): Promise<void> {
    const until = Date.now() + MAX_WAIT_MS;
    for (;;) {
      const now = Date.now();
      if (now >= until) return;
      const pushing = this.pushes.busy();
      if (!pushing && this.pageQuietAt >= this.lastFetchAt) return;
      const quietIn = this.lastFetchAt + LOAD_QUIET_MS - now;
      if (!pushing && quietIn <= 0) return;
      const wake = [this.pageSaid.promise, after(Math.min(until - now, quietIn > 0 ? quietIn : until - now), undefined)];
      if (pushing) wake.push(this.pushes.idle());
      await Promise.race(wake);
    }
  }
}
