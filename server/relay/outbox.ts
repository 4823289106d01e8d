import type { WebSocket } from 'ws';
import type { ReadPause } from './read-pause.js';

/**
 * Bytes a connection may have handed to `ws` and not yet written to the kernel before it
 * stops handing over more. Enough to keep loopback busy; small enough that a push of a whole
 * graph to hundreds of clients does not sit in user-space buffers all at once, and that an
 * answer queued behind it waits for at most this much.
 */
export const HIGH_WATER_BYTES = 1024 * 1024;
/**
 * Bytes of answers one connection may have waiting (queued here or in `ws`) before the relay
 * stops reading its requests: a client that sends and never reads then fills its own socket
 * buffers, not the relay's memory. Reading resumes below half of it.
 */
export const MAX_QUEUED_BYTES = 4 * 1024 * 1024;
/** The same bound over every connection of the process. */
export const MAX_QUEUED_TOTAL = 256 * 1024 * 1024;

/** Answers go before pushes; within a lane, first in first out. */
export type Lane = 'answer' | 'push';

/**
 * A binary message sent as two fragments back to back: `head`, its own bytes, then `shared`,
 * a buffer the relay holds anyway (a module answer is its small header, then the store's own
 * body, never copied per answer). Only `head` counts against the queue bounds.
 */
export interface Fragmented {
  head: Uint8Array;
  shared: Uint8Array;
}

/** One WebSocket message. */
export type Message = string | Uint8Array | Fragmented;

/** Messages produced when their turn comes; `null` skips a turn (nothing to send). */
export type Messages = Iterator<Message | null>;

interface Job {
  messages: Messages;
  /** Bytes counted against the queue bounds (known up front for answers; lazy pushes count 0). */
  bytes: number;
  /** Frames handed to `ws` whose send callback has not run yet. */
  writing: number;
  /** No more messages to take. */
  drained: boolean;
  done: () => void;
}

let queuedTotal = 0;

function isSingle(value: Messages | Message): value is Message {
  return typeof value === 'string' || value instanceof Uint8Array || 'shared' in value;
}

/** The bytes a queued message costs the relay. */
function sizeOf(message: Message): number {
  if (typeof message === 'string') return Buffer.byteLength(message);
  return message instanceof Uint8Array ? message.byteLength : message.head.byteLength;
}

/**
 * One socket's outgoing messages, paced on `socket.bufferedAmount`.
 *
 * `ws` has no per-socket 'drain' event, but the callback of `send` runs once that frame
 * has been written to the kernel (or failed), which is exactly when room may have
 * appeared: each callback hands over more. Answers (hello, module responses to a request,
 * statuses, errors) jump ahead of pushed modules still waiting, so a request made during
 * a burst waits for at most HIGH_WATER_BYTES, not for the rest of the burst. A push is one
 * job that yields its messages lazily, so a waiting burst costs an iterator, not a frame
 * (or a promise) per module.
 *
 * Memory stays bounded whatever the client does: answers waiting count against
 * MAX_QUEUED_BYTES (and MAX_QUEUED_TOTAL); past it the socket stops being read (`pause`),
 * and a socket that reads nothing for `stallMs` while answers wait is closed.
 *
 * `send` resolves once the job's last frame is written out (or dropped because the socket
 * closed): the connection counts a request in flight until then.
 */
export class Outbox {
  private readonly lanes: Record<Lane, Job[]> = { answer: [], push: [] };
  private closed = false;
  private queued = 0;
  private lastProgress = Date.now();
  private readonly stallTimer: NodeJS.Timeout;

  /** `stallMs`: a socket with answers waiting and none written for this long is closed (1008). */
  constructor(private readonly socket: WebSocket, private readonly reading: ReadPause, private readonly stallMs: number) {
    this.stallTimer = setInterval(() => this.checkStall(), Math.max(10, Math.min(1000, stallMs / 2)));
    this.stallTimer.unref();
    socket.once('close', () => {
      this.closed = true;
      clearInterval(this.stallTimer);
      for (const lane of [this.lanes.answer, this.lanes.push]) {
        for (const job of lane.splice(0)) this.finish(job);
      }
    });
  }

  send(messages: Messages | Message, lane: Lane): Promise<void> {
    return new Promise((done) => {
      if (this.closed || this.socket.readyState !== this.socket.OPEN) return done();
      const single = isSingle(messages);
      const iterator = single ? [messages][Symbol.iterator]() : messages;
      const bytes = single ? sizeOf(messages) : 0;
      this.count(bytes);
      this.lanes[lane].push({ messages: iterator, bytes, writing: 0, drained: false, done });
      this.pump();
    });
  }

  private count(bytes: number): void {
    this.queued += bytes;
    queuedTotal += bytes;
    this.checkPressure();
  }

  /** Stops reading the socket while too much waits for it, and reads again once it drained. */
  private checkPressure(): void {
    if (this.closed) return;
    const waiting = this.queued + this.socket.bufferedAmount;
    // The relay-wide bound pauses only connections that hold queued bytes of their own.
    const over = waiting > MAX_QUEUED_BYTES || (queuedTotal > MAX_QUEUED_TOTAL && this.queued > 0);
    if (over) this.reading.set('output', true);
    else if (waiting < MAX_QUEUED_BYTES / 2) this.reading.set('output', false);
  }

  private finish(job: Job): void {
    if (job.bytes > 0) this.count(-job.bytes);
    job.bytes = 0;
    job.done();
  }

  private pump(): void {
    while (!this.closed && this.socket.bufferedAmount < HIGH_WATER_BYTES) {
      const lane = this.lanes.answer.length > 0 ? this.lanes.answer : this.lanes.push;
      const job = lane[0];
      if (!job) return;
      const next = job.messages.next();
      if (next.done) {
        lane.shift();
        job.drained = true;
        if (job.writing === 0) this.finish(job);
        continue;
      }
      if (next.value === null) continue;
      if (this.socket.readyState !== this.socket.OPEN) return;
      this.write(job, next.value);
    }
  }

  /** Hands one message to `ws`, its fragments back to back. */
  private write(job: Job, message: Message): void {
    const parts = typeof message === 'string' || message instanceof Uint8Array ? [message] : [message.head, message.shared];
    parts.forEach((part, i) => {
      job.writing += 1;
      // An error means the socket is closing; its 'close' settles what is left.
      this.socket.send(part, { binary: typeof part !== 'string', fin: i === parts.length - 1 }, () => {
        job.writing -= 1;
        this.lastProgress = Date.now();
        if (job.drained && job.writing === 0) this.finish(job);
        this.pump();
        this.checkPressure();
      });
    });
  }

  /** Closes a socket whose peer stopped reading: nothing was written for `stallMs` while answers wait. */
  private checkStall(): void {
    const waiting = this.socket.bufferedAmount > 0 || this.lanes.answer.length > 0;
    if (!waiting) {
      this.lastProgress = Date.now();
      return;
    }
    if (Date.now() - this.lastProgress < this.stallMs) return;
    clearInterval(this.stallTimer);
    this.socket.close(1008, 'modrelay: the client does not read its answers');
    // The close handshake needs the peer to read too; do not wait for it.
    setTimeout(() => this.socket.terminate(), 1000).unref();
  }
}
