import { parseRange } from '../../protocol/byte-range.js';
import type { Hash } from '../../protocol/wire.js';

/**
 * Where an answer's bytes came from, as DevTools shows it in the `x-modrelay-source` header:
 * the relay's socket, the worker's Cache Storage copy, the browser's HTTP cache (a copy the
 * default store made, reached by the worker's own fetch), or the server over HTTP.
 */
export type Source = 'relay' | 'cache' | 'http-cache' | 'network';

export interface Body {
  bytes: ArrayBuffer;
  hash: Hash;
  contentType: string;
}

/**
 * The worker's answer for a body it holds: the headers the HTTP side would send for the file
 * (`headers`: sw/fetch/headers.ts), then the bytes' type, the sha-256 as ETag, and the source.
 */
export function bodyResponse(body: Body, source: Source, headers: Record<string, string>): Response {
  return new Response(body.bytes, { headers: ours(body, source, headers) });
}

function ours(body: Body, source: Source, headers: Record<string, string>): Record<string, string> {
  return { ...headers, 'content-type': body.contentType, etag: `"${body.hash}"`, 'accept-ranges': 'bytes', 'x-modrelay-source': source };
}

/**
 * The answer to a `Range` request (media elements send them, and seek with them) from a
 * body the worker holds: a `206` with the slice, a `416` past the end, or the whole body.
 */
export function rangeResponse(body: Body, range: string, source: Source, headers: Record<string, string>): Response {
  const size = body.bytes.byteLength;
  const slice = parseRange(range, size);
  if (slice === null) return bodyResponse(body, source, headers);
  if (slice === 'unsatisfiable') {
    return new Response(null, { status: 416, headers: { ...ours(body, source, headers), 'content-range': `bytes */${size}` } });
  }
  return new Response(body.bytes.slice(slice.start, slice.end + 1), {
    status: 206,
    headers: { ...ours(body, source, headers), 'content-range': `bytes ${slice.start}-${slice.end}/${size}` },
  });
}
