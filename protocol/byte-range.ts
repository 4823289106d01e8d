/** A byte range of a body, inclusive (`end` is the last byte), as a `206` answers it. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The one range a `Range` header asks of a body of `size` bytes: `bytes=a-b`, `a-` or `-n`
 * (what media elements send). 'unsatisfiable' for a range past the end (a `416`); null when
 * the answer is the whole body (several ranges, another unit, a malformed header: RFC 9110
 * lets a server ignore those). Used by `serve` and by the worker alike.
 */
export function parseRange(header: string, size: number): ByteRange | 'unsatisfiable' | null {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return null;
  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    if (match[2] !== '' && Number(match[2]) < start) return null;
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}
