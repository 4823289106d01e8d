import { CACHE_NAME, CACHE_PREFIX } from '../../protocol/defaults.js';
import type { FilePath, Hash } from '../../protocol/wire.js';

/**
 * What IndexedDB holds per cached URL (DevTools → Application → IndexedDB → modrelay).
 * `module` entries are vouched for by the relay (it sent them, or confirmed their hash) and
 * are served from cache once validated. `shell` entries are network-first copies kept for
 * offline use: the page, files the relay does not serve (/@modrelay/client.mjs), and HTTP
 * copies of modules until the relay confirms their hash (then they become `module`).
 */
export interface FileRecord {
  path: FilePath;
  hash: Hash;
  kind: 'module' | 'shell';
  source: 'relay' | 'network';
  size: number;
  /** When it was cached (ms since epoch). */
  at: number;
  contentType: string;
  /** The file's own response headers, for a copy that came over HTTP (a page offline answers with them). */
  headers?: Record<string, string>;
  /**
   * A page's copy only: true once every file it loaded (`files`) is on disk too. Until then an
   * offline navigation is not answered with it — a browser that died mid-way leaves no page
   * whose files are half there, only the network's own error (page-files.ts).
   */
  complete?: boolean;
  /** A page's copy only: the files it loaded (URLs without fragments), checked before it is opened offline. */
  files?: string[];
}

export interface Cached {
  meta: FileRecord;
  bytes: ArrayBuffer;
}

/** Bytes to cache, checked against their sha-256 (sw/relay/integrity.ts, or hashed from HTTP). */
export interface Verified {
  path: FilePath;
  hash: Hash;
  contentType: string;
  bytes: ArrayBuffer;
  /** The path's epoch when the bytes were received; a later invalidation makes them stale. */
  epoch: number;
  /** The file's own response headers, when it came over HTTP. */
  headers?: Record<string, string>;
}

/** What Cache Storage holds for a URL: the body, its type, the sha-256 as ETag, its source. */
export function storedResponse(v: Verified): Response {
  return new Response(v.bytes, {
    headers: { 'content-type': v.contentType, etag: `"${v.hash}"`, 'accept-ranges': 'bytes', 'x-modrelay-source': 'cache' },
  });
}

/** Deletes the caches of other protocol versions (on activate). Resolves true if any existed. */
export async function deleteOldCaches(): Promise<boolean> {
  const names = (await caches.keys()).filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE_NAME);
  await Promise.all(names.map((name) => caches.delete(name)));
  return names.length > 0;
}
