import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Link } from '../../sw/relay/link.js';
import type { RelaySocket } from '../../sw/relay/relay-socket.js';

/** The link's states and waits, in Node with fake timers; the socket is a stand-in with a state and `kick`. */
const BUDGET = 500;

function fakeSocket(state: 'connecting' | 'ready' | 'down' = 'connecting') {
  const socket = { state, kicks: 0, kick: () => { socket.kicks++; return false; } };
  return socket;
}

describe('Link', () => {
  let socket: ReturnType<typeof fakeSocket>;
  let link: Link;
  let changes: number;
  beforeEach(() => {
    vi.useFakeTimers();
    socket = fakeSocket();
    changes = 0;
    link = new Link(socket as unknown as RelaySocket<unknown>, BUDGET, () => { changes++; });
  });
  afterEach(() => vi.useRealTimers());

  it('validated over the current link only: a validation of an older link is ignored', () => {
    socket.state = 'ready';
    const first = link.up();
    link.down();
    const second = link.up();
    link.settle(first, true);
    expect(link.validated).toBe(false);
    link.settle(second, true);
    expect(link.validated).toBe(true);
    expect(link.live()).toBe(second);
    expect(changes).toBe(4);
  });

  it('waitValidated wakes on the validation itself, and gives up at the deadline', async () => {
    socket.state = 'ready';
    const id = link.up();
    const waiting = link.waitValidated(Date.now() + BUDGET);
    await vi.advanceTimersByTimeAsync(100);
    link.settle(id, true);
    expect(await waiting).toBe(true);
    link.down();
    link.up();
    const late = link.waitValidated(Date.now() + BUDGET);
    await vi.advanceTimersByTimeAsync(BUDGET);
    expect(await late).toBe(false);
  });

  it('a link that is down is kicked once, and a fetch does not wait for it when the kick does nothing', async () => {
    socket.state = 'down';
    expect(await link.waitConnected(Date.now() + BUDGET)).toBe(false);
    expect(socket.kicks).toBe(1);
  });

  it('whenValidated: false at once while the socket is down; otherwise the validation event wakes it, no timer needed', async () => {
    socket.state = 'down';
    expect(await link.whenValidated(10_000)).toBe(false);
    socket.state = 'ready';
    const id = link.up();
    let result: boolean | undefined;
    void link.whenValidated(10_000).then((value) => { result = value; });
    await vi.advanceTimersByTimeAsync(0);
    expect(result).toBeUndefined();
    link.settle(id, true);
    await vi.advanceTimersByTimeAsync(0); // microtasks only: the 10 s bound is far away
    expect(result).toBe(true);
  });

  it('whenValidated gives up when the socket drops while it waits, and at its timeout', async () => {
    socket.state = 'ready';
    link.up();
    const dropped = link.whenValidated(10_000);
    socket.state = 'down';
    link.down();
    expect(await dropped).toBe(false);
    socket.state = 'ready';
    link.up();
    const timedOut = link.whenValidated(1000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await timedOut).toBe(false);
  });
});
