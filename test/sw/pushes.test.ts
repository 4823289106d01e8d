import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Verified } from '../../sw/cache/cached.js';
import { Pushes } from '../../sw/relay/pushes.js';

/** The worker's record of pushed files, in Node with fake timers (the browser suites run it for real). */
const BUDGET = 500;
const urlOf = (path: string) => `http://app.test${path}`;
const header = (push: string[]) => ({ type: 'module:response' as const, path: '/entry.mjs', hash: 'h', contentType: 'text/javascript', size: 0, push });
const verified = (path: string): Verified => ({ path, hash: 'h', contentType: 'text/javascript', bytes: new ArrayBuffer(1), epoch: 0 });

describe('Pushes', () => {
  let pushes: Pushes;
  beforeEach(() => {
    vi.useFakeTimers();
    pushes = new Pushes(BUDGET, urlOf);
  });
  afterEach(() => vi.useRealTimers());

  it('a file announced in a push is awaited, not asked again, and is served as "relay" once per load', async () => {
    pushes.announced(header(['/a.mjs']));
    const onItsWay = pushes.at(urlOf('/a.mjs'), '/a.mjs');
    expect(onItsWay).toBeDefined();
    expect(pushes.at(`${urlOf('/a.mjs')}?v=2`, '/a.mjs')).toBeUndefined(); // another URL of the path: not the pushed one
    expect(pushes.busy()).toBe(true);
    pushes.landed('/a.mjs', Promise.resolve(verified('/a.mjs')));
    expect(await onItsWay).toMatchObject({ path: '/a.mjs' });
    await pushes.idle();
    expect(pushes.busy()).toBe(false);
    expect(pushes.claimPushed(urlOf('/a.mjs'), '/a.mjs')).toBe(true);
    expect(pushes.claimPushed(urlOf('/a.mjs'), '/a.mjs')).toBe(false);
  });

  it('a navigation ends the load: pushes it did not use are plain cache entries; a refresh is kept for the reload', () => {
    pushes.announced(header(['/a.mjs']));
    pushes.landed('/a.mjs', Promise.resolve(verified('/a.mjs')));
    const settle = pushes.expect('/edited.mjs')!;
    settle(verified('/edited.mjs'));
    pushes.newLoad();
    expect(pushes.claimPushed(urlOf('/a.mjs'), '/a.mjs')).toBe(false);
    expect(pushes.claimPushed(urlOf('/edited.mjs'), '/edited.mjs')).toBe(true);
  });

  it('an edit drops what is on its way (null), and so does a dropped link; idle() follows', async () => {
    pushes.announced(header(['/a.mjs', '/b.mjs']));
    const a = pushes.at(urlOf('/a.mjs'), '/a.mjs')!;
    const b = pushes.at(urlOf('/b.mjs'), '/b.mjs')!;
    pushes.drop('/a.mjs');
    expect(await a).toBeNull();
    expect(pushes.busy()).toBe(true);
    const idle = pushes.idle();
    pushes.dropAll();
    expect(await b).toBeNull();
    await idle;
    expect(pushes.busy()).toBe(false);
  });

  it('wait(): "late" at the deadline when nothing flows; past it only while frames keep coming, never past four budgets', async () => {
    pushes.announced(header(['/slow.mjs']));
    const slow = pushes.at(urlOf('/slow.mjs'), '/slow.mjs')!;
    const quiet = pushes.wait(slow, Date.now() + BUDGET);
    await vi.advanceTimersByTimeAsync(BUDGET);
    expect(await quiet).toBe('late');

    // Frames keep arriving (each announces more): the wait goes on past the deadline, up to the cap.
    const flowing = pushes.wait(slow, Date.now() + BUDGET);
    let result: unknown = 'pending';
    void flowing.then((value) => { result = value; });
    for (let t = 0; t < 4 * BUDGET; t += BUDGET / 2) {
      pushes.announced(header([]));
      await vi.advanceTimersByTimeAsync(BUDGET / 2);
    }
    expect(result).toBe('pending');
    pushes.announced(header([]));
    await vi.advanceTimersByTimeAsync(BUDGET);
    expect(result).toBe('late');
  });

  it('a refresh already on its way is not asked twice', () => {
    expect(pushes.expect('/x.mjs')).not.toBeNull();
    expect(pushes.expect('/x.mjs')).toBeNull();
  });
});
