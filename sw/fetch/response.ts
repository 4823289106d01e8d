import { parseRange } from '../../protocol/byte-range.js';
import type { Hash } from '../../protocol/wire.js';

/** Where an answer came from, as DevTools shows it in the `x-modrelay-source` header. */
export type Source = 'cache' | 'relay' | 'network';

export interface Body {
  bytes: ArrayBuffer;
  hash: Hash;
  contentType: string;
}

/** The worker's answer for a body it holds: the bytes, their type, the sha-256 as ETag, its source. */
export function bodyResponse(body: Body, source: Source): Response {
  return new Response(body.bytes, { headers: headers(body, source) });
}

function headers(body: Body, source: Source): Record<string, string> {
  return { 'content-type': body.contentType, etag: `"${body.hash}"`, 'accept-ranges': 'bytes', 'x-modrelay-source': source };
}

/**
 * The answer to a `Range` request (media elements send them, and seek with them) from a
 * body the worker holds: a `206` with the slice, a `416` past the end, or the whole body.
 */
export function rangeResponse(body: Body, range: string, source: Source): Response {
  const size = body.bytes.byteLength;
  const slice = parseRange(range, size);
  if (slice === null) return bodyResponse(body, source);
  if (slice === 'unsatisfiable') {
    return new Response(null, { status: 416, headers: { ...headers(body, source), 'content-range': `bytes */${size}` } });
  }
  return new Response(body.bytes.slice(slice.start, slice.end + 1), {
    status: 206,
    headers: { ...headers(body, source), 'content-range': `bytes ${slice.start}-${slice.end}/${size}` },
  });
}
