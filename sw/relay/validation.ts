import type { FilePath, Hash } from '../../protocol/wire.js';
import { Verdict, type Store } from '../cache/store.js';
import type { RelaySocket } from './relay-socket.js';

/** A `manifest:check` not answered within this long counts as not answered. */
const CHECK_TIMEOUT_MS = 5000;
/** HTTP copies are confirmed in batches collected over this window. */
const CONFIRM_DELAY_MS = 50;

/**
 * Validation: nothing a store holds may be served until the relay vouched for it over the
 * current link, because while the socket was down its `module:updated` broadcasts were lost.
 * On every worker start and every (re)connect, exactly one `manifest:check` carries every
 * store's manifest; each store applies the answer. Resolves false if the relay did not answer.
 */
export async function validate(stores: readonly Store[], socket: RelaySocket<unknown>): Promise<boolean> {
  await Promise.all(stores.map((store) => store.loaded));
  const sent: Record<FilePath, Hash> = Object.assign({}, ...stores.map((store) => store.manifest()));
  const verdict = await check(socket, sent);
  if (!verdict) return false;
  await Promise.all(stores.map((store) => store.apply(verdict)));
  return true;
}

async function check(socket: RelaySocket<unknown>, sent: Record<FilePath, Hash>): Promise<Verdict | null> {
  if (Object.keys(sent).length === 0) return new Verdict(sent, { changed: {}, removed: [] });
  try {
    // Bounded: an answer that never comes must not leave the link unvalidated for good (the engine retries).
    const answer = await socket.request({ type: 'manifest:check', entries: sent }, CHECK_TIMEOUT_MS);
    return 'type' in answer && answer.type === 'manifest:status' ? new Verdict(sent, answer) : null;
  } catch {
    return null;
  }
}

/**
 * Asks the relay to vouch for copies that came over HTTP (a fallback load can land hundreds)
 * or were made for the HTTP cache: they are collected for a moment and checked in one
 * `manifest:check`, whose answer every store applies like a validation. Only while validated
 * (`live()` gives the link's id then), so no broadcast about them can have been missed; an
 * answer from an older link is dropped. One check of ours at a time: the relay stops reading
 * a socket with two manifests in progress; what arrives meanwhile goes in the next.
 */
export class Confirmations {
  private pending = new Map<FilePath, Hash>();
  private waiting = new Map<FilePath, { hash: Hash; resolve: (vouched: boolean | null) => void }[]>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private checking = false;

  constructor(
    private readonly socket: RelaySocket<unknown>,
    private readonly stores: readonly Store[],
    private readonly live: () => number | null,
  ) {}

  confirm(path: FilePath, hash: Hash): void {
    if (this.live() === null) return;
    this.pending.set(path, hash);
    this.schedule();
  }

  /** Whether the relay's sha-256 of `path` is `hash`; null when it cannot answer now (not validated, no answer). */
  verify(path: FilePath, hash: Hash): Promise<boolean | null> {
    if (this.live() === null) return Promise.resolve(null);
    return new Promise((resolve) => {
      const list = this.waiting.get(path) ?? [];
      list.push({ hash, resolve });
      this.waiting.set(path, list);
      this.confirm(path, hash);
    });
  }

  private schedule(): void {
    if (this.checking || this.pending.size === 0) return; // the check in progress schedules the next one when it ends
    this.timer ??= setTimeout(() => this.flush(), CONFIRM_DELAY_MS);
  }

  private flush(): void {
    this.timer = undefined;
    const sent = Object.fromEntries(this.pending);
    const waiting = this.waiting;
    this.pending = new Map();
    this.waiting = new Map();
    const link = this.live();
    this.checking = true;
    const answer = link === null ? Promise.resolve(null) : check(this.socket, sent);
    void answer.then((verdict) => {
      this.checking = false;
      this.schedule();
      const current = verdict && this.live() === link ? verdict : null;
      if (current) for (const store of this.stores) void store.apply(current);
      for (const [path, list] of waiting) {
        for (const { hash, resolve } of list) resolve(current ? !current.removed(path) && current.current(path) === hash : null);
      }
    });
  }
}
