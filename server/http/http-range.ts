import type { IncomingMessage } from 'node:http';
import { parseRange, type ByteRange } from '../../protocol/byte-range.js';

export type { ByteRange };

/**
 * The range a request asks for (protocol/byte-range.ts), with `If-Range` honoured against the
 * ETag: null (a full `200`) without Range or with a stale If-Range.
 */
export function requestedRange(request: IncomingMessage, size: number, etag: string): ByteRange | 'unsatisfiable' | null {
  const header = request.headers.range;
  if (!header) return null;
  const ifRange = request.headers['if-range'];
  if (ifRange !== undefined && ifRange !== etag) return null;
  return parseRange(header, size);
}
