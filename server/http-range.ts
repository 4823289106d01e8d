import type { IncomingMessage } from 'node:http';

/** A byte range of a body, inclusive (`end` is the last byte), as a `206` answers it. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The one range a request asks for, when the answer can be a `206`: `Range: bytes=a-b`,
 * `a-` or `-n` (media elements send these), with `If-Range` honoured against the ETag.
 * 'unsatisfiable' for a range past the end (a `416`); null for a full `200` (no Range, several
 * ranges, another unit, a stale If-Range).
 */
export function requestedRange(request: IncomingMessage, size: number, etag: string): ByteRange | 'unsatisfiable' | null {
  const header = request.headers.range;
  if (!header) return null;
  const ifRange = request.headers['if-range'];
  if (ifRange !== undefined && ifRange !== etag) return null;
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
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
    if (match[2] !== '' && Number(match[2]) < start) return null; // malformed: ignore, as RFC 9110 allows
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}
