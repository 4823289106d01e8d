import { NOT_OURS } from '../../protocol/errors.js';
import type { FilePath, ModuleResponse } from '../../protocol/wire.js';
import type { CacheStorageStore } from '../cache/cache-storage-store.js';
import type { Cached, Verified } from '../cache/cached.js';
import { after } from '../kit/deferred.js';
import type { Epochs } from '../kit/epochs.js';
import type { Lifetime } from '../kit/lifetime.js';
import { verify } from './integrity.js';
import type { Link } from './link.js';
import type { Pushes } from './pushes.js';
import type { RelaySocket } from './relay-socket.js';

/**
 * What the relay says about a file, for a fetch: a cached copy it vouched for over the current
 * link, a pushed copy on its way, or its answer to a `module:request`. The one place that sends
 * `module:request`, counts import-graph bursts in flight, marks paths the relay refuses, checks
 * every module frame it receives (integrity.ts) and caches the relay's bytes.
 */
export class RelayAnswers {
  /** Requests with `deps: true` not yet answered: their pushes may cover what comes next. */
  private depsInFlight = 0;

  constructor(
    private readonly socket: RelaySocket<Promise<Verified | null>>,
    private readonly link: Link,
    private readonly pushes: Pushes,
    private readonly cache: CacheStorageStore,
    private readonly epochs: Epochs,
    private readonly refused: Set<FilePath>,
    private readonly budget: number,
    private readonly urlOf: (path: FilePath) => string,
  ) {}

  /**
   * The cached copy of `url` once the cache is validated over the current link (waiting for
   * that within the deadline), if the relay vouches for it, with where its bytes came from for
   * this load: `relay` the first time a pushed copy is served (`claim`: a whole-file answer).
   * Undefined: no usable copy.
   */
  async vouched(url: string, path: FilePath, deadline: number, claim = true): Promise<{ cached: Cached; source: 'relay' | 'cache' } | undefined> {
    if (!this.cache.get(url) || !(this.link.validated || (await this.link.waitValidated(deadline)))) return undefined;
    // (Validation may have evicted it, or found the relay does not vouch for it.)
    if (this.cache.get(url)?.kind !== 'module') return undefined;
    const cached = this.cache.peek(url) ?? (await this.cache.read(url));
    return cached && { cached, source: claim && this.pushes.claimPushed(url, path) ? 'relay' : 'cache' };
  }

  /**
   * The relay's copy of `url` by `deadline`: a pushed copy already on its way, or a
   * `module:request` (with `deps: true` when no other burst is flowing). Null when HTTP is
   * the better bet. A late answer is still cached (`lifetime`): the next load finds it.
   */
  async ask(url: string, path: FilePath, deadline: number, lifetime: Lifetime): Promise<Verified | null> {
    const onItsWay = this.pushes.at(url, path);
    if (onItsWay) {
      const pushed = await this.pushes.wait(onItsWay, deadline);
      // Still on its way: asking again on the same ordered socket cannot be faster, so HTTP.
      // (null: dropped by an edit or the link, or failed its hash: ask anew.)
      if (pushed === 'late') return null;
      if (pushed && this.current(pushed)) {
        this.pushes.claimPushed(url, path);
        return pushed;
      }
    }
    if (!(await this.link.waitConnected(deadline))) return null;
    if (this.socket.lagging(this.budget)) return null; // a slow relay: don't queue behind it

    // One import-graph burst at a time: overlapping bursts would push the same modules twice
    // (`have` cannot list what is still on its way). Others ask for their module alone.
    const deps = this.depsInFlight === 0;
    if (deps) this.depsInFlight++;
    const asked = this.request(path, deps);
    if (deps) void asked.finally(() => this.depsInFlight--);
    // A late answer (the socket gives up on it after REQUEST_TIMEOUT_MS) still warms the cache.
    lifetime.waitUntil(asked.then((v) => v && this.cacheRelayed(url, v)));
    const verified = await Promise.race([asked, after(deadline - Date.now(), null)]);
    return verified && this.current(verified) ? verified : null;
  }

  /**
   * Every module frame, called by the socket synchronously in wire order (so a `push` list
   * is noted before the pushed frames arrive). What it returns is what the request resolves with.
   */
  received(header: ModuleResponse, body: Uint8Array): Promise<Verified | null> {
    this.pushes.announced(header);
    const verified = verify(header, body, this.epochs.of(header.path));
    if (header.id === undefined) {
      this.pushes.landed(header.path, verified);
      void verified.then((v) => v && this.cacheRelayed(this.urlOf(v.path), v));
    }
    return verified;
  }

  /**
   * Fetches the new version of an edited module the page was using, now, instead of during
   * the reload that usually follows: a reload keeps this worker busy with hundreds of
   * fetch events, and the edited module's relay answer then missed the budget and went to
   * HTTP (docs/performance.md, observation 3). A fetch for it meanwhile waits for this
   * answer like for a push; a newer edit drops it (`Pushes.drop`, epochs).
   */
  refresh(path: FilePath): void {
    if (this.socket.state !== 'ready') return;
    const settle = this.pushes.expect(path);
    if (!settle) return;
    void this.request(path, false).then(async (v) => {
      if (!v || !this.current(v)) return settle(null);
      settle(v);
      await this.cacheRelayed(this.urlOf(path), v);
    });
  }

  /** A page navigated: pushes not used by the previous load are plain cache entries now. */
  newLoad(): void {
    this.pushes.newLoad();
  }

  /** False when bytes were invalidated (edited, deleted) after they arrived. */
  current(v: Verified): boolean {
    return v.epoch === this.epochs.of(v.path);
  }

  private request(path: FilePath, deps: boolean): Promise<Verified | null> {
    // `have`: every copy this worker holds, so the push skips them (see CacheStorageStore.manifest).
    const have = deps ? this.cache.manifest() : undefined;
    return this.socket.request({ type: 'module:request', path, deps, have }).then(
      async (reply) => {
        if ('frame' in reply) return reply.frame;
        if (reply.type === 'module:error' && NOT_OURS.has(reply.code)) this.refused.add(path);
        return null;
      },
      () => null,
    );
  }

  private cacheRelayed(url: string, v: Verified): Promise<boolean> {
    return this.cache.put(url, v, 'relay', 'module');
  }
}
