import { STORE_HEADER, STORE_HTTP_CACHE } from '../../protocol/http-cache.js';
import type { Hash } from '../../protocol/wire.js';
import { sha256Hex } from '../kit/hash.js';

/**
 * What one fetch of a file with our store header left in the browser's HTTP cache:
 * - `copied`: an immutable copy with these bytes (`hash`);
 * - `ignored`: the server answered without `immutable` (it does not follow
 *   protocol/http-cache.ts), so the HTTP cache holds whatever it usually holds;
 * - `gone`: not a 2xx (a 404 is `no-store`: nothing immutable is left);
 * - `offline`: no answer at all, the HTTP cache still holds what it held;
 * - `broken`: the body failed mid-way (a truncated answer is not cached as complete).
 */
export type CopyResult =
  | { kind: 'copied'; hash: Hash }
  | { kind: 'ignored' } | { kind: 'gone' } | { kind: 'offline' } | { kind: 'broken' };

/**
 * Whether `headers` make the HTTP cache answer later requests for the URL with no request:
 * `immutable` with a positive `max-age`, and no `Vary` that our own request header would
 * split off from the page's requests (those carry no store header).
 */
export function honoured(headers: Headers): boolean {
  const cacheControl = (headers.get('cache-control') ?? '').toLowerCase();
  const directives = cacheControl.split(',').map((part) => part.trim());
  const maxAge = Number(directives.find((d) => d.startsWith('max-age='))?.slice('max-age='.length));
  const vary = (headers.get('vary') ?? '').toLowerCase().split(',').map((part) => part.trim());
  return directives.includes('immutable') && maxAge > 0 && !directives.includes('no-store')
    && !vary.includes('*') && !vary.includes(STORE_HEADER);
}

/**
 * Fetches `url` with the store header so the server answers `immutable`, and hashes what
 * came. `mode` `reload` always takes a fresh copy; `no-cache` revalidates (a 304 when current).
 */
export async function fetchCopy(url: string, mode: RequestCache): Promise<CopyResult> {
  let response: Response;
  try {
    response = await fetch(url, { cache: mode, credentials: 'same-origin', headers: { [STORE_HEADER]: STORE_HTTP_CACHE } });
  } catch {
    return { kind: 'offline' };
  }
  if (!response.ok) {
    await response.body?.cancel();
    return { kind: 'gone' };
  }
  if (!honoured(response.headers)) {
    await response.body?.cancel();
    return { kind: 'ignored' };
  }
  try {
    return { kind: 'copied', hash: await sha256Hex(await response.arrayBuffer()) };
  } catch {
    return { kind: 'broken' };
  }
}

/** Replaces an immutable copy with the server's plain answer (`no-cache`, or a 404). False when offline. */
export async function releaseCopy(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { cache: 'reload', credentials: 'same-origin' });
    await response.body?.cancel();
    return true;
  } catch {
    return false;
  }
}
