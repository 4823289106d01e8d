import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ManifestCheck, ManifestStatus } from '../../protocol/wire.js';
import { Verdict, type Store } from '../../sw/cache/store.js';
import type { RelaySocket } from '../../sw/relay/relay-socket.js';
import { Confirmations, validate } from '../../sw/relay/validation.js';

/** Validation and the batched confirmation of copies, in Node: a stand-in relay answers `manifest:check`. */

/** A relay that knows `files` (path → hash) and answers each check after `delayMs`. */
function fakeRelay(files: Record<string, string>, delayMs = 10) {
  const checks: Record<string, string>[] = [];
  const socket = {
    request: (message: Omit<ManifestCheck, 'id'>) => {
      checks.push(message.entries);
      const changed: Record<string, string> = {};
      const removed: string[] = [];
      for (const [path, hash] of Object.entries(message.entries)) {
        if (!(path in files)) removed.push(path);
        else if (files[path] !== hash) changed[path] = files[path]!;
      }
      const answer: ManifestStatus = { type: 'manifest:status', id: checks.length, changed, removed };
      return new Promise((resolve) => setTimeout(resolve, delayMs, answer));
    },
  };
  return { socket: socket as unknown as RelaySocket<unknown>, checks };
}

function fakeStore(manifest: Record<string, string>) {
  const applied: Verdict[] = [];
  const store: Store = {
    loaded: Promise.resolve(),
    manifest: () => manifest,
    apply: async (verdict) => { applied.push(verdict); },
    updated: async () => {},
    removed: async () => {},
  };
  return { store, applied };
}

describe('Verdict', () => {
  it('reads the relay\'s answer for the paths sent, and only those', () => {
    const verdict = new Verdict({ '/a.mjs': 'a1', '/b.mjs': 'b1', '/c.mjs': 'c1' }, { changed: { '/b.mjs': 'b2' }, removed: ['/c.mjs'] });
    expect([verdict.covers('/a.mjs'), verdict.covers('/new.mjs')]).toEqual([true, false]);
    expect([verdict.current('/a.mjs'), verdict.current('/b.mjs')]).toEqual(['a1', 'b2']);
    expect(verdict.removed('/c.mjs')).toBe(true);
    expect(verdict.invalidated().sort()).toEqual(['/b.mjs', '/c.mjs']);
  });
});

describe('validate', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('one manifest:check carries every store\'s manifest; each store applies the one answer', async () => {
    const relay = fakeRelay({ '/a.mjs': 'a1', '/b.mjs': 'b2' });
    const one = fakeStore({ '/a.mjs': 'a1' });
    const two = fakeStore({ '/b.mjs': 'b1' });
    const done = validate([one.store, two.store], relay.socket);
    await vi.advanceTimersByTimeAsync(10);
    expect(await done).toBe(true);
    expect(relay.checks).toEqual([{ '/a.mjs': 'a1', '/b.mjs': 'b1' }]);
    expect(one.applied[0]!.current('/b.mjs')).toBe('b2');
    expect(two.applied[0]).toBe(one.applied[0]);
  });

  it('an unanswered check is not a validation: false after 5 s, nothing applied', async () => {
    const silent = { request: () => new Promise((_resolve, reject) => setTimeout(() => reject(new Error('no answer')), 5000)) };
    const one = fakeStore({ '/a.mjs': 'a1' });
    const done = validate([one.store], silent as unknown as RelaySocket<unknown>);
    await vi.advanceTimersByTimeAsync(5000);
    expect(await done).toBe(false);
    expect(one.applied).toEqual([]);
  });
});

describe('Confirmations', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('copies are confirmed in one batch; what comes during a check waits for it to end, then goes in the next', async () => {
    const relay = fakeRelay({ '/a.mjs': 'a', '/b.mjs': 'b', '/c.mjs': 'c' }, 200);
    const one = fakeStore({});
    const confirmations = new Confirmations(relay.socket, [one.store], () => 1);
    const a = confirmations.verify('/a.mjs', 'a');
    const b = confirmations.verify('/b.mjs', 'wrong');
    await vi.advanceTimersByTimeAsync(50); // the batch window
    expect(relay.checks).toEqual([{ '/a.mjs': 'a', '/b.mjs': 'wrong' }]);
    const c = confirmations.verify('/c.mjs', 'c');
    await vi.advanceTimersByTimeAsync(150); // the first check is still out
    expect(relay.checks).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(50); // answered: the next batch is scheduled at once
    expect([await a, await b]).toEqual([true, false]);
    await vi.advanceTimersByTimeAsync(50);
    expect(relay.checks).toEqual([{ '/a.mjs': 'a', '/b.mjs': 'wrong' }, { '/c.mjs': 'c' }]);
    await vi.advanceTimersByTimeAsync(200);
    expect(await c).toBe(true);
    expect(one.applied).toHaveLength(2);
  });

  it('not validated (no live link): nothing is asked, verify answers null; an answer from an older link is dropped', async () => {
    const relay = fakeRelay({ '/a.mjs': 'a' });
    let live: number | null = null;
    const confirmations = new Confirmations(relay.socket, [fakeStore({}).store], () => live);
    expect(await confirmations.verify('/a.mjs', 'a')).toBeNull();
    live = 1;
    const answer = confirmations.verify('/a.mjs', 'a');
    await vi.advanceTimersByTimeAsync(55);
    live = 2; // the link dropped and came back while the check was out
    await vi.advanceTimersByTimeAsync(10);
    expect(await answer).toBeNull();
  });
});
