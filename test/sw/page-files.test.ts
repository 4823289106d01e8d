import { describe, expect, it } from 'vitest';
import type { FileRecord } from '../../sw/cache/cached.js';
import { PageFiles } from '../../sw/cache/page-files.js';

/**
 * When a page's copy may be opened offline, in Node: the writes' states are the test's (the
 * browser suites and test/faults/durability.test.ts run the real Cache Storage and IndexedDB).
 */
const url = (path: string) => `http://app.test${path}`;
const record = (path: string, extra: Partial<FileRecord> = {}): FileRecord => ({
  path, hash: `hash of ${path}`, kind: 'shell', source: 'network', size: 1, at: 0, contentType: 'text/plain', ...extra,
});

function setup(elsewhere: (url: string) => boolean = () => false) {
  const meta = new Map<string, FileRecord>();
  /** The worker's loads going quiet: resolved by the test. */
  let quiet!: () => void;
  const loadsDone = () => new Promise<void>((resolve) => { quiet = resolve; });
  const states = new Map<string, 'durable' | 'pending' | 'lost'>();
  const written: [string, FileRecord | null][] = [];
  const pages = new PageFiles(meta, {
    state: (u) => (meta.has(u) ? states.get(u) ?? 'pending' : 'absent'),
    durable: () => undefined,
  }, { write: async (u, value) => void written.push([u, value]) }, elsewhere, loadsDone);
  const cache = (path: string, state: 'durable' | 'pending' | 'lost', extra: Partial<FileRecord> = {}) => {
    meta.set(url(path), record(path, extra));
    states.set(url(path), state);
  };
  const settle = (path: string, state: 'durable' | 'lost') => {
    states.set(url(path), state);
    pages.settle();
  };
  return { pages, meta, cache, settle, written, quiet: async () => { quiet(); await Promise.resolve(); } };
}

describe('PageFiles', () => {
  it('a page is sealed with its files once every one is on disk, not before', () => {
    const { pages, cache, settle, written } = setup();
    cache('/', 'pending', { complete: false });
    cache('/app.mjs', 'pending');
    cache('/lib.mjs', 'durable');
    pages.loaded(url('/'), [url('/app.mjs'), url('/lib.mjs')], true);
    settle('/', 'durable');
    expect(written).toEqual([]);
    settle('/app.mjs', 'durable');
    expect(written.map(([u, value]) => [u, value?.complete, value?.files])).toEqual([[url('/'), true, [url('/app.mjs'), url('/lib.mjs')]]]);
  });

  it('a file whose write failed leaves the page incomplete; one never cached (an error online too) is not asked for', () => {
    const { pages, cache, written } = setup();
    cache('/', 'durable', { complete: true, files: [url('/app.mjs')] }); // whole, until its module's new write failed
    cache('/app.mjs', 'lost');
    pages.loaded(url('/'), [url('/app.mjs'), url('/missing.png')], true);
    expect(written).toEqual([[url('/'), expect.objectContaining({ complete: false, files: [] })]]);
  });

  it('files the HTTP cache holds are not waited for: the page names them, they are probed when it is opened', () => {
    const { pages, cache, written } = setup((u) => u.endsWith('.mjs'));
    cache('/', 'durable', { complete: false });
    pages.loaded(url('/'), [url('/app.mjs')], true);
    expect(written[0]![1]).toMatchObject({ complete: true, files: [url('/app.mjs')] });
  });

  it("a page's first word replaces what it needed; a later one (a dynamic import) adds to it; the same files write nothing", () => {
    const { pages, cache, written } = setup();
    cache('/', 'durable', { complete: true, files: [url('/old.mjs')] });
    cache('/a.mjs', 'durable');
    cache('/b.mjs', 'durable');
    pages.loaded(url('/'), [url('/a.mjs')], true);
    pages.loaded(url('/'), [url('/b.mjs')], false);
    pages.loaded(url('/'), [url('/a.mjs')], false);
    expect(written.map(([, value]) => value?.files)).toEqual([[url('/a.mjs')], [url('/a.mjs'), url('/b.mjs')]]);
  });

  it('a page without modrelay\'s client is sealed with what its window fetched once the loads go quiet', async () => {
    const { pages, cache, written, quiet } = setup();
    cache('/', 'durable', { complete: false });
    cache('/app.mjs', 'durable');
    pages.navigated(url('/'));
    pages.asked(url('/'), url('/app.mjs'));
    pages.settle();
    expect(written).toEqual([]);
    await quiet();
    expect(written[0]![1]).toMatchObject({ complete: true, files: [url('/app.mjs')] });
  });

  it('a routed page whose files never reach the worker is not sealed by the quiet: only by its word', async () => {
    const { pages, cache, written, quiet } = setup();
    cache('/', 'durable', { complete: true, files: [url('/app.mjs')] });
    pages.navigated(url('/'));
    pages.asked(url('/other/'), url('/other/x.mjs')); // another page's fetch starts the wait for quiet
    await quiet();
    expect(written.filter(([u]) => u === url('/'))).toEqual([]);
  });

  it('a page not cached (or evicted meanwhile) is forgotten, never written', () => {
    const { pages, written } = setup();
    pages.loaded(url('/'), [url('/app.mjs')], true);
    pages.settle();
    expect(written).toEqual([]);
  });

  it('offline, an incomplete copy read back from disk is not opened; one this worker loaded itself is, checked against what it loaded', () => {
    const { pages, cache, meta } = setup();
    cache('/', 'durable', { complete: false });
    expect(pages.needed(url('/'), meta.get(url('/'))!)).toBeNull();
    pages.navigated(url('/')); // the offline navigation itself
    expect(pages.needed(url('/'), meta.get(url('/'))!)).toBeNull();
    pages.copied(url('/'));
    pages.asked(url('/'), url('/app.mjs'));
    expect(pages.needed(url('/'), meta.get(url('/'))!)).toEqual([url('/app.mjs')]);
    cache('/old/', 'durable', { complete: true, files: [url('/old/x.mjs')] });
    expect(pages.needed(url('/old/'), meta.get(url('/old/'))!)).toEqual([url('/old/x.mjs')]);
  });
});
