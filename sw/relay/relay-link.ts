import type { FilePath, Hash, Hello, ModuleRemoved, ModuleUpdated } from '../../protocol/wire.js';
import type { RelayState, StoreStatus } from '../../protocol/page-messages.js';
import type { CacheStorageStore } from '../cache/cache-storage-store.js';
import type { Verified } from '../cache/cached.js';
import type { Store } from '../cache/store.js';
import type { Epochs } from '../kit/epochs.js';
import { Link } from './link.js';
import { Pushes } from './pushes.js';
import { RelayAnswers } from './relay-answers.js';
import { RelaySocket } from './relay-socket.js';
import { diagnose } from './relay-state.js';
import { Confirmations, validate } from './validation.js';

/**
 * At most this many edited files of one `module:updated` batch are fetched ahead of the next
 * load; a branch switch touching thousands waits for the load (which asks with `deps`), so its
 * requests do not queue behind a refresh it may never need.
 */
const MAX_REFRESH = 32;
/** The relay's status is asked at most this often while the link stays down. */
const DIAGNOSE_MS = 1000;
/** Validations of one link, when its `manifest:check` goes unanswered. */
const VALIDATE_ATTEMPTS = 3;
/** A copy asks the relay up to this many times, each after waiting this long at most for the link's validation. */
const VERIFY_ATTEMPTS = 3;
const VERIFY_WAIT_MS = 10_000;

/** What the rest of the worker hears from the relay. */
export interface RelayLinkEvents {
  /** Files changed: the relay's side is done (stale bytes on their way dropped); update the stores and tell the pages. */
  updated(files: ModuleUpdated['modules']): void;
  removed(paths: FilePath[]): void;
  /** The link's state changed: tell the pages (`relay:status`). */
  status(): void;
  /** A relay said hello: what it serves, and the headers of its files. */
  hello(hello: Hello): void;
}

/** The link as the pages are told it (`relay:status`, less the worker's own version). */
export interface LinkStatus {
  connected: boolean;
  validated: boolean;
  state: RelayState;
  relayVersion: string | null;
}

/**
 * The worker's side of the relay, in one place: the socket (relay-socket.ts), the link's state
 * (link.ts), what is pushed (pushes.ts), the answers fetches get (relay-answers.ts), and
 * validation on every (re)connect and of copies (validation.ts). It turns the socket's events
 * into these, and tells the rest of the worker only what it must act on (`RelayLinkEvents`).
 */
export class RelayLink {
  readonly link: Link;
  readonly answers: RelayAnswers;
  private readonly socket: RelaySocket<Promise<Verified | null>>;
  private readonly pushes: Pushes;
  private readonly confirmations: Confirmations;
  private state: RelayState = 'connecting';
  private relayVersion: string | null = null;
  private diagnosedAt = 0;
  /** The store status last told to the relay, as sent. */
  private told = '';

  constructor(
    private readonly relayUrl: string,
    budget: number,
    private readonly cache: CacheStorageStore,
    /** Every store validation covers (the HTTP-cache store too, when there is one). */
    private readonly stores: readonly Store[],
    private readonly epochs: Epochs,
    private readonly refused: Set<FilePath>,
    private readonly urlOf: (path: FilePath) => string,
    private readonly events: RelayLinkEvents,
  ) {
    this.socket = new RelaySocket(relayUrl, {
      ready: (hello) => this.onReady(hello),
      down: () => this.onDown(),
      stillDown: () => this.diagnose(),
      module: (header, body) => this.answers.received(header, body),
      updated: (message) => this.onUpdated(message),
      removed: (message) => this.onRemoved(message),
    });
    this.link = new Link(this.socket, budget, () => events.status());
    this.pushes = new Pushes(budget, urlOf);
    this.answers = new RelayAnswers(this.socket, this.link, this.pushes, cache, epochs, refused, budget, urlOf);
    this.confirmations = new Confirmations(this.socket, [cache], () => this.link.live());
  }

  status(): LinkStatus {
    return { connected: this.socket.state === 'ready', validated: this.link.validated, state: this.state, relayVersion: this.relayVersion };
  }

  /** True while the socket is up (validated or not). */
  get connected(): boolean {
    return this.socket.state === 'ready';
  }

  /** Pushed files still on their way: a load through the relay is in progress. */
  get loading(): Pushes {
    return this.pushes;
  }

  /** Tells the relay how the worker's store is, when that changed (and again on every connection). */
  tell(store: StoreStatus): void {
    const text = JSON.stringify(store);
    if (text === this.told) return;
    this.told = text;
    this.socket.send({ type: 'worker:status', store });
  }

  /** A page is there: retry a dropped link now rather than after the backoff. */
  kick(): void {
    this.socket.kick();
  }

  /** Asks the relay to vouch for bytes fetched over HTTP (in a batch: validation.ts). */
  confirm(path: FilePath, hash: Hash): void {
    this.confirmations.confirm(path, hash);
  }

  /**
   * Whether the relay's sha-256 of `path` is `hash`, for a copy made for the HTTP cache; null
   * when it cannot say. A page can report its files before this worker's validation finished
   * (a slow connect), and a check can go unanswered while the link recovers: both are waited
   * for, bounded, so the copy is not left unknown.
   */
  async verifyCopy(url: string, path: FilePath, hash: Hash): Promise<boolean | null> {
    for (let attempt = 0; attempt < VERIFY_ATTEMPTS; attempt++) {
      await this.link.whenValidated(VERIFY_WAIT_MS);
      const vouched = this.cache.get(url);
      // The relay sent these very bytes over the validated link (the page's first visit): no round trip.
      if (this.link.validated && vouched?.kind === 'module' && vouched.hash === hash) return true;
      const verified = await this.confirmations.verify(path, hash);
      if (verified !== null) return verified;
    }
    return null;
  }

  private onReady(hello: Hello): void {
    this.events.hello(hello);
    this.state = 'connected';
    this.relayVersion = hello.version ?? null;
    if (this.told !== '') this.socket.send({ type: 'worker:status', store: JSON.parse(this.told) as StoreStatus });
    void this.validateLink(this.link.up());
  }

  /** Validates link `id`; a check that failed while the link stays up is tried again, bounded. */
  private async validateLink(id: number): Promise<void> {
    for (let attempt = 0; attempt < VALIDATE_ATTEMPTS; attempt++) {
      const ok = await validate(this.stores, this.socket);
      this.link.settle(id, ok);
      if (ok || this.socket.state !== 'ready' || this.link.live() !== null) return;
    }
  }

  private onDown(): void {
    this.state = 'connecting';
    this.link.down();
    this.pushes.dropAll();
    this.diagnosedAt = 0; // a link that just dropped is asked about at once
    this.diagnose();
  }

  /** Asks the relay why the socket does not connect (relay-state.ts); at most once per DIAGNOSE_MS. */
  private diagnose(): void {
    if (Date.now() - this.diagnosedAt < DIAGNOSE_MS) return;
    this.diagnosedAt = Date.now();
    void diagnose(this.relayUrl).then((state) => {
      if (this.socket.state === 'ready' || state === this.state) return;
      this.state = state;
      this.events.status();
    });
  }

  private onUpdated({ modules: files }: ModuleUpdated): void {
    // Edited files the page was using are fetched ahead of the reload (RelayAnswers.refresh).
    const used = files.filter(({ path, hash }) => {
      const canonical = this.cache.get(this.urlOf(path));
      return canonical?.kind === 'module' && canonical.hash !== hash;
    });
    for (const { path } of files) {
      this.invalidate(path);
      this.refused.delete(path); // the relay serves it now: it reported it
    }
    // Every store drops the whole batch before anything else runs: no reload sees half of it.
    this.events.updated(files);
    if (used.length <= MAX_REFRESH) for (const { path } of used) this.answers.refresh(path);
  }

  private onRemoved({ paths }: ModuleRemoved): void {
    for (const path of paths) this.invalidate(path);
    this.events.removed(paths);
  }

  /** Bytes on their way for `path` are stale now. */
  private invalidate(path: FilePath): void {
    this.epochs.bump(path);
    this.pushes.drop(path);
  }
}
