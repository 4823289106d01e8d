import { after, deferred } from '../kit/deferred.js';
import type { RelaySocket } from './relay-socket.js';

/** Upper bound on the number of state changes one wait goes through. */
const MAX_WAKEUPS = 8;

/**
 * The state of the worker's link to the relay as fetches see it: connected, validated over
 * this link (validation.ts), and waits for either that end on the link's own events. Each link
 * gets an id, so work started over one link is dropped when it finishes over the next.
 */
export class Link {
  /** True once this worker checked its stores against the relay over the current link. */
  validated = false;
  private id = 0;
  /** Start of the current connection attempt: waits for it share one budget from here. */
  private attemptStarted = Date.now();
  private changed = deferred<void>();

  constructor(
    private readonly socket: RelaySocket<unknown>,
    private readonly budget: number,
    private readonly onChange: () => void,
  ) {}

  /** The socket said hello: a new link, not validated yet. Returns its id. */
  up(): number {
    const id = ++this.id;
    this.attemptStarted = Date.now();
    this.notify();
    return id;
  }

  down(): void {
    this.id++;
    this.validated = false;
    this.notify();
  }

  /** Validation over link `id` finished; ignored if that link is gone. */
  settle(id: number, validated: boolean): void {
    if (id !== this.id || this.socket.state !== 'ready') return;
    this.validated = validated;
    this.notify();
  }

  /** The current link's id while it is validated, else null. */
  live(): number | null {
    return this.validated ? this.id : null;
  }

  /**
   * For a fetch: waits until `ready()` holds, the deadline passes, or the link is known down.
   * A link still connecting gets one budget from its attempt's start, whatever the deadline.
   */
  async waitFor(ready: () => boolean, deadline: number): Promise<boolean> {
    for (let i = 0; i < MAX_WAKEUPS; i++) {
      if (ready()) return true;
      if (this.socket.state === 'down') {
        if (!this.socket.kick()) return false;
        this.attemptStarted = Date.now();
      }
      const remaining = Math.min(deadline, this.attemptStarted + this.budget) - Date.now();
      if (remaining <= 0) return false;
      await Promise.race([this.changed.promise, after(remaining, undefined)]);
    }
    return ready();
  }

  waitValidated(deadline: number): Promise<boolean> {
    return this.waitFor(() => this.validated, deadline);
  }

  waitConnected(deadline: number): Promise<boolean> {
    return this.waitFor(() => this.socket.state === 'ready', deadline);
  }

  /**
   * For work that is not a fetch (a copy to verify, a page about to import): waits up to
   * `timeoutMs` for this link's validation, giving up at once when the socket is down (the
   * link's events wake it, nothing polls). A validation in progress is worth waiting for.
   */
  async whenValidated(timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (!this.validated && this.socket.state !== 'down') {
      const remaining = until - Date.now();
      if (remaining <= 0) break;
      await Promise.race([this.changed.promise, after(remaining, undefined)]);
    }
    return this.validated;
  }

  private notify(): void {
    const fired = this.changed;
    this.changed = deferred();
    fired.resolve();
    this.onChange();
  }
}
