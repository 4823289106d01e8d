import type { WebSocket } from 'ws';

/**
 * Bytes a connection may have handed to `ws` and not yet written to the kernel before it
 * stops handing over more. Enough to keep loopback busy; small enough that a push of a whole
 * graph to hundreds of clients does not sit in user-space buffers all at once, and that an
 * answer queued behind it waits for at most this much.
 */
export const HIGH_WATER_BYTES = 1024 * 1024;

/** Answers go before pushes; within a lane, first in first out. */
export type Lane = 'answer' | 'push';

/** Frames produced when their turn comes; `null` skips a turn (nothing to send). */
export type Frames = Iterator<string | Uint8Array | null>;

interface Job {
  frames: Frames;
  /** Frames handed to `ws` whose send callback has not run yet. */
  writing: number;
  /** No more frames to take. */
  drained: boolean;
  done: () => void;
}

/**
 * One socket's outgoing frames, paced on `socket.bufferedAmount`.
 *
 * `ws` has no per-socket 'drain' event, but the callback of `send` runs once that frame
 * has been written to the kernel (or failed), which is exactly when room may have
 * appeared: each callback hands over more. Answers (hello, module responses to a request,
 * statuses, errors) jump ahead of pushed modules still waiting, so a request made during
 * a burst waits for at most HIGH_WATER_BYTES, not for the rest of the burst. A push is one
 * job that yields its frames lazily, so a waiting burst costs an iterator, not a frame
 * (or a promise) per module.
 *
 * `send` resolves once the job's last frame is written out (or dropped because the socket
 * closed): the connection counts a request in flight until then.
 */
export class Outbox {
  private readonly lanes: Record<Lane, Job[]> = { answer: [], push: [] };
  private closed = false;

  constructor(private readonly socket: WebSocket) {
    socket.once('close', () => {
      this.closed = true;
      for (const lane of [this.lanes.answer, this.lanes.push]) {
        for (const job of lane.splice(0)) job.done();
      }
    });
  }

  send(frames: Frames | string | Uint8Array, lane: Lane): Promise<void> {
    return new Promise((done) => {
      if (this.closed || this.socket.readyState !== this.socket.OPEN) return done();
      const iterator = typeof frames === 'string' || frames instanceof Uint8Array ? [frames][Symbol.iterator]() : frames;
      this.lanes[lane].push({ frames: iterator, writing: 0, drained: false, done });
      this.pump();
    });
  }

  private pump(): void {
    while (!this.closed && this.socket.bufferedAmount < HIGH_WATER_BYTES) {
      const lane = this.lanes.answer.length > 0 ? this.lanes.answer : this.lanes.push;
      const job = lane[0];
      if (!job) return;
      const next = job.frames.next();
      if (next.done) {
        lane.shift();
        job.drained = true;
        if (job.writing === 0) job.done();
        continue;
      }
      if (next.value === null) continue;
      if (this.socket.readyState !== this.socket.OPEN) return;
      job.writing += 1;
      // An error means the socket is closing; its 'close' settles what is left.
      this.socket.send(next.value, () => {
        job.writing -= 1;
        if (job.drained && job.writing === 0) job.done();
        this.pump();
      });
    }
  }
}
