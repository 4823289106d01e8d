/**
 * The page's side of `store: 'http-cache'` (see sw/http-cache/http-cache-store.ts): ask the worker to make
 * the HTTP-cache copies current before the app imports, evict what changed from Blink's
 * memory cache. (The page reports what it loaded with client/loads.ts.)
 */
import { ask } from './post.js';

/** When this tab last evicted what changed (the worker's clock): the next `since`. */
const SYNCED_KEY = 'modrelay:synced';
const RELOADED_KEY = 'modrelay:reloaded';
/** At most one automatic reload per this many ms, so repeated edits cannot loop. */
const RELOAD_GUARD_MS = 5000;

/** sessionStorage can be unavailable (storage blocked): then every load counts as a new tab. */
function readSession(key: string): string | null {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

function writeSession(key: string, value: string): void {
  try {
    sessionStorage.setItem(key, value);
  } catch {
    // see readSession
  }
}

/**
 * Blink keeps scripts a tab loaded in its own memory cache, and an `immutable` one is
 * reused by the tab's next load without asking the HTTP cache: it would run the old version
 * even though the worker replaced the copy. A `fetch` of the URL by the page (answered by
 * the HTTP cache: the new copy, no request) takes that entry's place.
 */
export function evict(urls: readonly string[]): Promise<unknown> {
  return Promise.allSettled(urls.map((url) => fetch(url).then((response) => response.arrayBuffer())));
}

/**
 * Asks the controlling worker to make the copies current, then evicts what changed.
 * Resolves 'reload' when this page already ran a changed module (its boot script) and is
 * reloading to run the new one.
 */
export async function prepareHttpCache(): Promise<'ready' | 'reload'> {
  const since = Number(readSession(SYNCED_KEY)) || performance.timeOrigin;
  const ready = await ask({ source: 'modrelay', type: 'store:prepare', since });
  await evict(ready.changed);
  writeSession(SYNCED_KEY, String(ready.at));
  if (!ready.changed.some((url) => performance.getEntriesByName(url, 'resource').length > 0)) return 'ready';
  if (Date.now() - Number(readSession(RELOADED_KEY)) < RELOAD_GUARD_MS) return 'ready';
  writeSession(RELOADED_KEY, String(Date.now()));
  location.reload();
  return 'reload';
}
