import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Verdict } from '../../sw/cache/store.js';
import type { CopyIo } from '../../sw/http-cache/copies.js';
import type { CopyResult } from '../../sw/http-cache/http-copy.js';
import type { HttpCopy } from '../../sw/http-cache/records.js';
import { HttpCacheStore } from '../../sw/http-cache/http-cache-store.js';
import { Epochs } from '../../sw/kit/epochs.js';

/**
 * The HTTP-cache store's states, in Node: the browser's HTTP cache and IndexedDB are stand-ins
 * (the browser suites run the real ones), the server's answers are scripted per URL, and the
 * relay's word (`verify`) is a function of the test.
 */
const url = (path: string) => `http://app.test${path}`;

function setup(options: { answer?: (url: string) => CopyResult; verify?: (path: string, hash: string) => boolean | null; records?: [string, HttpCopy][]; routed?: boolean } = {}) {
  const fetched: string[] = [];
  /** The browser's HTTP cache, as far as the copies go. */
  const httpCache = new Set<string>();
  const released: string[] = [];
  const records = new Map<string, HttpCopy>(options.records ?? []);
  const writes: [string, string | null | undefined][] = [];
  const io: CopyIo = {
    fetchCopy: async (target, mode) => {
      fetched.push(`${mode} ${target}`);
      const result = options.answer?.(target) ?? { kind: 'copied', hash: `hash of ${new URL(target).pathname}` };
      if (result.kind === 'copied') httpCache.add(target);
      return result;
    },
    releaseCopy: async (target) => { released.push(target); httpCache.delete(target); return true; },
    cached: async (target) => httpCache.has(target),
    readRecords: async () => [...records],
    writeRecord: async (target, copy) => {
      writes.push([target, copy === null ? undefined : copy.hash]);
      if (copy) records.set(target, copy);
      else records.delete(target);
    },
  };
  const epochs = new Epochs();
  const untracked: string[] = [];
  const verify = options.verify ?? ((path, hash) => hash === `hash of ${path}`);
  const store = new HttpCacheStore(epochs, {
    pathOf: (u) => new URL(u).pathname, refused: new Set(), untracked: (path) => untracked.push(path),
    verify: async (_u, path, hash) => verify(path, hash), routed: options.routed ?? false, io,
  });
  return { store, fetched, released, records, writes, epochs, untracked, httpCache };
}

describe('HttpCacheStore', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('ready once every file reported has a verified copy; each record says unknown before its fetch', async () => {
    const { store, records, writes } = setup();
    const state = await store.report([url('/a.mjs'), url('/b.mjs')], new Set());
    expect(state).toBe('ready');
    expect([...records.values()].map((copy) => copy.hash)).toEqual(['hash of /a.mjs', 'hash of /b.mjs']);
    expect(writes.filter(([u]) => u === url('/a.mjs'))).toEqual([[url('/a.mjs'), null], [url('/a.mjs'), 'hash of /a.mjs']]);
    expect(store.manifest()).toEqual({ '/a.mjs': 'hash of /a.mjs', '/b.mjs': 'hash of /b.mjs' });
  });

  it('unsupported when the server ignores the store header: nothing recorded, nothing more copied', async () => {
    const { store, records, fetched } = setup({ answer: () => ({ kind: 'ignored' }) });
    expect(await store.report([url('/a.mjs'), url('/b.mjs')], new Set())).toBe('unsupported');
    expect(records.size).toBe(0);
    expect(fetched).toEqual([`reload ${url('/a.mjs')}`]);
  });

  it('a script the worker answered is pending, named in the reason, until a report: then it is copied whether the page listed it or not', async () => {
    const { store, records } = setup();
    await store.report([url('/boot.mjs')], new Set());
    store.answered(url('/worker-only.mjs'));
    expect(store.status()).toEqual({ state: 'pending', reason: expect.stringContaining('/worker-only.mjs') });
    expect(await store.report([url('/boot.mjs')], new Set())).toBe('ready');
    expect([...records.keys()]).toEqual([url('/boot.mjs'), url('/worker-only.mjs')]);
  });

  it('says why it is not ready: a server that ignores the header is named with the fix', async () => {
    const { store } = setup({ answer: () => ({ kind: 'ignored' }) });
    expect(store.status()).toEqual({ state: 'pending', reason: 'no page has reported what it loaded yet' });
    await store.report([url('/a.mjs')], new Set());
    expect(store.status()).toEqual({ state: 'unsupported', reason: expect.stringContaining('modrelay/middleware') });
  });

  it('a copy the relay cannot vouch for stays unknown, pending, until a validation verifies it (no polling: the record change wakes the report)', async () => {
    let relayUp = false;
    const { store } = setup({ verify: (path, hash) => (relayUp ? hash === `hash of ${path}` : null) });
    let state: string | undefined;
    void store.report([url('/a.mjs')], new Set()).then((value) => { state = value; });
    await vi.advanceTimersByTimeAsync(1000);
    expect(state).toBeUndefined();
    expect(store.manifest()).toEqual({}); // unknown: nothing to vouch for yet
    relayUp = true;
    // The next validation copies every unknown copy again, with the relay's hash at hand.
    await store.apply(new Verdict({}, { changed: {}, removed: [] }));
    await vi.advanceTimersByTimeAsync(0);
    expect(state).toBe('ready');
  });

  it('a report waits for a pending state at most 20 s', async () => {
    const { store } = setup({ verify: () => null });
    let state: string | undefined;
    void store.report([url('/a.mjs')], new Set()).then((value) => { state = value; });
    await vi.advanceTimersByTimeAsync(19_999);
    expect(state).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(state).toBe('pending');
  });

  it('a copy whose bytes the relay disowns is fetched again, and released after three tries', async () => {
    const { store, fetched, released, records } = setup({ verify: () => false });
    const reported = store.report([url('/a.mjs')], new Set());
    await vi.advanceTimersByTimeAsync(20_000); // nothing left to copy: pending, until the report's bound
    expect(await reported).toBe('pending');
    expect(fetched).toEqual([`reload ${url('/a.mjs')}`, `reload ${url('/a.mjs')}`, `reload ${url('/a.mjs')}`]);
    expect(released).toEqual([url('/a.mjs')]);
    expect(records.size).toBe(0);
  });

  it('an edit replaces the copy with the announced hash, and its record stays unknown in IndexedDB (no write before the next edit\'s fetch)', async () => {
    let version = 1;
    const { store, writes, fetched } = setup({ answer: () => ({ kind: 'copied', hash: `v${version}` }), verify: (_p, hash) => hash === `v${version}` });
    await store.report([url('/a.mjs')], new Set());
    version = 2;
    writes.length = 0;
    fetched.length = 0;
    await store.updated([{ path: '/a.mjs', hash: 'v2' }]);
    expect(store.manifest()).toEqual({ '/a.mjs': 'v2' });
    expect(writes).toEqual([[url('/a.mjs'), null]]);
    version = 3;
    await store.updated([{ path: '/a.mjs', hash: 'v3' }]);
    expect(writes).toHaveLength(1); // the second edit wrote nothing
    expect(fetched).toEqual([`reload ${url('/a.mjs')}`, `reload ${url('/a.mjs')}`]);
    expect(await store.prepare(true, 0)).toEqual([url('/a.mjs')]);
  });

  it('a file changed while its copy was fetched (its epoch moved) is fetched again', async () => {
    let calls = 0;
    const setupResult = setup({
      answer: () => {
        calls++;
        if (calls === 1) setupResult.epochs.bump('/a.mjs');
        return { kind: 'copied', hash: 'hash of /a.mjs' };
      },
    });
    expect(await setupResult.store.report([url('/a.mjs')], new Set())).toBe('ready');
    expect(calls).toBe(2);
  });

  it('validation: a removed file\'s copy is released, a changed one copied again with the relay\'s hash; a copy found without a record is announced', async () => {
    const records: [string, HttpCopy][] = [
      [url('/gone.mjs'), { path: '/gone.mjs', hash: 'old', at: 0, changed: 0 }],
      [url('/edited.mjs'), { path: '/edited.mjs', hash: 'old', at: 0, changed: 0 }],
    ];
    const { store, released, fetched, untracked } = setup({ records, answer: (u) => ({ kind: 'copied', hash: u.endsWith('edited.mjs') ? 'new' : `hash of ${new URL(u).pathname}` }) });
    await store.loaded;
    await store.apply(new Verdict(store.manifest(), { changed: { '/edited.mjs': 'new' }, removed: ['/gone.mjs'] }));
    expect(released).toEqual([url('/gone.mjs')]);
    expect(await store.prepare(true, 0)).toEqual([url('/edited.mjs'), url('/gone.mjs')]);
    expect(fetched).toEqual([`reload ${url('/edited.mjs')}`]);
    await store.report([url('/fresh.mjs')], new Set([url('/fresh.mjs')]));
    expect(untracked).toEqual(['/fresh.mjs']);
  });

  it('routed: a file the page loaded, not from the HTTP cache, although a copy is recorded, is copied again (the browser lost it)', async () => {
    const { store, fetched } = setup({ routed: true });
    await store.report([url('/a.mjs'), url('/b.mjs')], new Set());
    fetched.length = 0;
    await store.report([url('/a.mjs'), url('/b.mjs')], new Set([url('/b.mjs')]));
    expect(fetched).toEqual([`reload ${url('/a.mjs')}`]);
  });
});
