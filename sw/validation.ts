import type { Hash, ManifestStatus, ModulePath } from '../protocol/wire.js';
import type { RelaySocket } from './relay-socket.js';
import type { AnyStore } from './store.js';

/** A `manifest:check` not answered within this long counts as not answered. */
const CHECK_TIMEOUT_MS = 5000;
/** HTTP copies are confirmed in batches collected over this window. */
const CONFIRM_DELAY_MS = 50;

/**
 * The relay's answer to one `manifest:check`, as the stores read it: for every path sent,
 * whether it is gone and, if not, its current hash. One hash per path is sent even when both
 * stores hold the path: the answer still gives the current hash, which each store compares
 * with its own.
 */
export class Verdict {
  private readonly gone: Set<ModulePath>;

  constructor(readonly sent: Readonly<Record<ModulePath, Hash>>, private readonly status: Pick<ManifestStatus, 'changed' | 'removed'>) {
    this.gone = new Set(status.removed);
  }

  /** False for a path recorded after the snapshot was sent: it is current. */
  covers(path: ModulePath): boolean {
    return Object.hasOwn(this.sent, path);
  }

  removed(path: ModulePath): boolean {
    return this.gone.has(path);
  }

  /** The file's hash now (for a covered path that is not removed). */
  current(path: ModulePath): Hash | undefined {
    return this.status.changed[path] ?? this.sent[path];
  }

  /** Paths whose copies are invalid now: changed or removed. */
  invalidated(): ModulePath[] {
    return [...Object.keys(this.status.changed), ...this.gone];
  }
}

/**
 * Validation: nothing a store holds may be served until the relay vouched for it over the
 * current link, because while the socket was down its `module:updated` broadcasts were lost.
 * On every worker start and every (re)connect, exactly one `manifest:check` carries every
 * store's manifest; each store applies the answer. Resolves false if the relay did not answer.
 */
export async function validate(stores: readonly AnyStore[], socket: RelaySocket<unknown>): Promise<boolean> {
  await Promise.all(stores.map((store) => store.loaded));
  const sent: Record<ModulePath, Hash> = Object.assign({}, ...stores.map((store) => store.manifest()));
  const verdict = await check(socket, sent);
  if (!verdict) return false;
  await Promise.all(stores.map((store) => store.apply(verdict)));
  return true;
}

async function check(socket: RelaySocket<unknown>, sent: Record<ModulePath, Hash>): Promise<Verdict | null> {
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
 * answer from an older link is dropped.
 */
export class Confirmations {
  private pending = new Map<ModulePath, Hash>();
  private waiting = new Map<ModulePath, { hash: Hash; resolve: (vouched: boolean | null) => void }[]>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private checking = false;

  constructor(
    private readonly socket: RelaySocket<unknown>,
    private readonly stores: readonly AnyStore[],
    private readonly live: () => number | null,
  ) {}

  confirm(path: ModulePath, hash: Hash): void {
    if (this.live() === null) return;
    this.pending.set(path, hash);
    this.timer ??= setTimeout(() => this.flush(), CONFIRM_DELAY_MS);
  }

  /** Whether the relay's sha-256 of `path` is `hash`; null when it cannot answer now (not validated, no answer). */
  verify(path: ModulePath, hash: Hash): Promise<boolean | null> {
    if (this.live() === null) return Promise.resolve(null);
    return new Promise((resolve) => {
      const list = this.waiting.get(path) ?? [];
      list.push({ hash, resolve });
      this.waiting.set(path, list);
      this.confirm(path, hash);
    });
  }

  private flush(): void {
    this.timer = undefined;
    // One check of ours at a time: the relay stops reading a socket with two manifests in progress.
    if (this.checking) {
      this.timer = setTimeout(() => this.flush(), CONFIRM_DELAY_MS);
      return;
    }
    const sent = Object.fromEntries(this.pending);
    const waiting = this.waiting;
    this.pending = new Map();
    this.waiting = new Map();
    const link = this.live();
    const answer = link === null ? Promise.resolve(null) : check(this.socket, sent);
    this.checking = true;
    void answer.finally(() => { this.checking = false; }).then((verdict) => {
      const current = verdict && this.live() === link ? verdict : null;
      if (current) for (const store of this.stores) void store.apply(current);
      for (const [path, list] of waiting) {
        for (const { hash, resolve } of list) resolve(current ? !current.removed(path) && current.current(path) === hash : null);
      }
    });
  }
}
