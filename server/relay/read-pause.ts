import type { WebSocket } from 'ws';

/**
 * Stops reading a socket while any reason holds: too many answers waiting for a client that
 * does not read (outbox.ts), or too much heavy work of its own in progress (connection.ts).
 * Unread requests then wait in the client's socket buffers, not in the relay's memory, and a
 * frame that is costly to parse (a 20,000-entry manifest) is parsed only when its turn comes.
 */
export class ReadPause {
  private readonly reasons = new Set<string>();

  constructor(private readonly socket: WebSocket) {}

  set(reason: string, holds: boolean): void {
    if (holds) this.reasons.add(reason);
    else this.reasons.delete(reason);
    if (this.reasons.size > 0 && !this.socket.isPaused) this.socket.pause();
    else if (this.reasons.size === 0 && this.socket.isPaused) this.socket.resume();
  }
}
