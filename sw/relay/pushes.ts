import type { FilePath, ModuleResponse } from '../../protocol/wire.js';
import { after, deferred, type Deferred } from '../kit/deferred.js';
import type { Verified } from '../cache/cached.js';

/** A push still flowing is awaited at most this many budgets past the deadline. */
const PUSH_GRACE = 4;
/** Upper bound on the waits of one `waitPush`. */
const MAX_WAKEUPS = 8;

/**
 * Modules on their way without a request of their own: the import closure the relay pushes
 * after a `deps: true` answer, and edited modules fetched ahead of a reload. A fetch for one
 * of them waits for its frame instead of asking again; the first answer for it during the
 * load it came for says `relay`, not `cache`.
 */
export class Pushes {
  /** Paths announced (a `push` list, a refresh) whose frame is still on its way. */
  private expected = new Map<FilePath, Deferred<Verified | null>>();
  /** Pushed modules not yet asked for. A navigation starts a new load and clears it. */
  private unserved = new Set<FilePath>();
  /**
   * Edited modules fetched ahead of the next load. Unlike `unserved`, a navigation does not
   * clear it — the reload that follows an edit is the load they were fetched for.
   */
  private refreshed = new Set<FilePath>();
  /** When the last module frame arrived: a burst still flowing is worth waiting for. */
  private lastFrameAt = 0;
  /** Resolved (and replaced) each time nothing is left on its way: `idle()`. */
  private idleNow = deferred<void>();

  constructor(private readonly budget: number, private readonly urlOf: (path: FilePath) => string) {}

  /** Every module frame, synchronously in wire order: the pushed frames follow this one. */
  announced(header: ModuleResponse): void {
    this.lastFrameAt = Date.now();
    for (const path of header.push ?? []) if (!this.expected.has(path)) this.expected.set(path, deferred());
  }

  /** A pushed frame (no request id) arrived and was checked. */
  landed(path: FilePath, verified: Promise<Verified | null>): void {
    this.unserved.add(path);
    const waiting = this.expected.get(path);
    waiting?.resolve(verified);
    void verified.finally(() => { if (this.expected.get(path) === waiting) this.forget(path); });
  }

  /** Expects a refresh of `path`; returns how to settle it, or null if one is on its way already. */
  expect(path: FilePath): ((v: Verified | null) => void) | null {
    if (this.expected.has(path)) return null;
    const waiting = deferred<Verified | null>();
    this.expected.set(path, waiting);
    return (v) => {
      if (v) this.refreshed.add(path);
      waiting.resolve(v);
      if (this.expected.get(path) === waiting) this.forget(path);
    };
  }

  /** A module announced and not yet landed, if `url` is its canonical URL. */
  at(url: string, path: FilePath): Promise<Verified | null> | undefined {
    return url === this.urlOf(path) ? this.expected.get(path)?.promise : undefined;
  }

  /**
   * Waits for a pushed module. Past the deadline it keeps waiting only while frames still
   * flow (one arrived within the budget) — a large burst can keep this worker busy longer
   * than the budget, and HTTP would add to that work — and never past `PUSH_GRACE` budgets.
   * Resolves 'late' when HTTP is the better bet.
   */
  async wait(push: Promise<Verified | null>, deadline: number): Promise<Verified | null | 'late'> {
    const cap = deadline + PUSH_GRACE * this.budget;
    for (let i = 0; i < MAX_WAKEUPS; i++) {
      const until = i === 0 ? deadline : Math.min(cap, this.lastFrameAt + this.budget);
      const result = await Promise.race([push, after(until - Date.now(), 'late' as const)]);
      if (result !== 'late') return result;
      if (Date.now() >= cap || Date.now() - this.lastFrameAt >= this.budget) return 'late';
    }
    return 'late';
  }

  /** True while pushed modules are still on their way (a page load through the relay is in progress). */
  busy(): boolean {
    return this.expected.size > 0;
  }

  /** Resolves the next time nothing is on its way (at once if nothing is). */
  idle(): Promise<void> {
    return this.busy() ? this.idleNow.promise : Promise.resolve();
  }

  /** True the first time a pushed or refreshed module is served (it came over the socket for this load). */
  claimPushed(url: string, path: FilePath): boolean {
    if (url !== this.urlOf(path)) return false;
    const pushed = this.unserved.delete(path);
    const refreshed = this.refreshed.delete(path);
    return pushed || refreshed;
  }

  /** A page navigated: pushes not used by the previous load are plain cache entries now. */
  newLoad(): void {
    this.unserved.clear();
  }

  /** `path` changed or went away: what is on its way for it is stale. */
  drop(path: FilePath): void {
    this.expected.get(path)?.resolve(null);
    this.forget(path);
  }

  /** The link dropped: nothing announced will arrive. */
  dropAll(): void {
    for (const [path, waiting] of this.expected) {
      waiting.resolve(null);
      this.forget(path);
    }
  }

  private forget(path: FilePath): void {
    if (!this.expected.delete(path) || this.expected.size > 0) return;
    const idle = this.idleNow;
    this.idleNow = deferred();
    idle.resolve();
  }
}
