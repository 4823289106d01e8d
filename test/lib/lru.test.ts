import { describe, expect, test } from 'vitest';
import { ByteLru } from '../../lib/lru.js';

/** The one byte-bounded LRU: the relay's files read (server/files/file-store.ts) and the worker's bodies in memory. */
describe('ByteLru', () => {
  const body = (n: number) => new ArrayBuffer(n);

  test('holds at most its byte budget, dropping the least recently used first', () => {
    const memory = new ByteLru<ArrayBuffer>(100, (b) => b.byteLength);
    memory.set('a', body(40));
    memory.set('b', body(40));
    memory.get('a'); // a is now the most recent
    memory.set('c', body(40));
    expect(memory.bytes).toBe(80);
    expect(memory.get('b')).toBeUndefined();
    expect(memory.get('a')?.byteLength).toBe(40);
    expect(memory.get('c')?.byteLength).toBe(40);
  });

  test('a body larger than the budget is not kept; replacing and deleting keep the count right', () => {
    const memory = new ByteLru<ArrayBuffer>(100, (b) => b.byteLength);
    memory.set('a', body(30));
    memory.set('huge', body(101));
    expect(memory.get('huge')).toBeUndefined();
    memory.set('a', body(50));
    expect(memory.bytes).toBe(50);
    memory.delete('a');
    memory.delete('a');
    expect(memory.bytes).toBe(0);
  });
});
