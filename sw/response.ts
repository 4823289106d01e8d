import type { Hash } from '../protocol/wire.js';

/** Where an answer came from, as DevTools shows it in the `x-modrelay-source` header. */
export type Source = 'cache' | 'relay' | 'network';

/** The worker's answer for a body it holds: the bytes, their type, the sha-256 as ETag, its source. */
export function bodyResponse(body: { bytes: ArrayBuffer; hash: Hash; contentType: string }, source: Source): Response {
  return new Response(body.bytes, {
    headers: { 'content-type': body.contentType, etag: `"${body.hash}"`, 'x-modrelay-source': source },
  });
}
