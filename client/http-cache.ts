/**
 * The page's side of `store: 'http-cache'` (see sw/http-cache/http-cache-store.ts): ask the worker to make
 * the HTTP-cache copies current before the app imports, evict what changed from Blink's
 * memory cache, and report the modules the page loads so the worker copies them.
 */
import { OWN_PATH_PREFIX } from '../protocol/defaults.js';
import { hasExtension } from '../protocol/file-types.js';
import type { StoreStatus } from '../protocol/page-messages.js';
import { ask } from './post.js';

/** When this tab last evicted what changed (the worker's clock): the next `since`. */
const SYNCED_KEY = 'modrelay:synced';
const RELOADED_KEY = 'modrelay:reloaded';
/** At most one automatic reload per this many ms, so repeated edits cannot loop. */
const RELOAD_GUARD_MS = 5000;
/** Files are reported once the page has loaded none for this long (and the worker controls it): copies compete with a load. */
const REPORT_QUIET_MS = 1000;

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

/**
 * No bytes over the wire, no revalidation, and no fetch handler: the HTTP cache answered on
 * its own. (Chromium reports answers from the worker's Cache Storage as `deliveryType`
 * 'cache' too; those are the worker's, not an untracked HTTP-cache copy.)
 */
function fromHttpCache(entry: PerformanceResourceTiming): boolean {
  const timing = entry as PerformanceResourceTiming & { deliveryType?: string; workerMatchedSourceType?: string };
  return timing.transferSize === 0 && timing.deliveryType === 'cache'
    && (timing.workerStart === 0 || timing.workerMatchedSourceType === 'network');
}

/**
 * Collects the URLs of served files (modules and assets) this page loads over HTTP (Resource Timing sees every one, from
 * the HTTP cache or not) from now on, and sends them to the worker once it controls the page
 * and the page's loads went quiet; the worker copies the ones it does not hold yet and replies
 * with the store's state (`onState`). Started before the app imports: Resource Timing's buffer
 * keeps only 250 entries.
 */
export function reportModules(extensions: readonly string[], controlled: Promise<unknown>, onState: (store: StoreStatus) => void): void {
  if (typeof PerformanceObserver === 'undefined') return;
  const scope = `${location.origin}/`;
  let urls: string[] = [];
  let fromCache: string[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const send = () => {
    if (urls.length === 0) return;
    void ask({ source: 'modrelay', type: 'store:seen', urls, fromCache }).then(onState);
    urls = [];
    fromCache = [];
  };
  // Quiet is counted from the later of the last load and the worker taking control: a first
  // visit's app imports only once the worker controls the page, so a window that ended while
  // it installed would report the boot files alone.
  let isControlled = false;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(send, REPORT_QUIET_MS);
  };
  void controlled.then(() => {
    isControlled = true;
    arm();
  });
  const observer = new PerformanceObserver((list) => {
    const before = urls.length;
    for (const entry of list.getEntries() as PerformanceResourceTiming[]) {
      const url = entry.name.split('#')[0]!;
      // The app's fetch() of a JSON or wasm file counts too. (Our own eviction fetches are of
      // URLs the worker tracks already; it skips those.)
      if (!url.startsWith(scope) || url.startsWith(`${location.origin}${OWN_PATH_PREFIX}`)) continue;
      if (!hasExtension(new URL(url).pathname, extensions)) continue;
      urls.push(url);
      if (fromHttpCache(entry)) fromCache.push(url);
    }
    // Only a served file delays the report: an app that polls its API (or anything else the
    // worker does not copy) every few hundred ms would otherwise never go quiet.
    if (isControlled && urls.length > before) arm();
  });
  observer.observe({ type: 'resource', buffered: true });
}
