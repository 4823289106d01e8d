/**
 * What the page loads, as its Resource Timing shows it, told to the worker: `loads:quiet` once
 * the page has loaded and no served file came for a moment (the worker writes its caches then,
 * not during the load: sw/fetch/loads.ts), and, for the default store, a report of every served
 * file it loaded (`store:seen`), which the worker copies into the HTTP cache and answers with the
 * store's status.
 */
import { OWN_PATH_PREFIX } from '../protocol/defaults.js';
import { hasExtension } from '../protocol/file-types.js';
import type { StoreStatus } from '../protocol/page-messages.js';
import { ask, post } from './post.js';

/** The page's loads are over once it has loaded and no served file came for this long. */
const QUIET_MS = 150;
/** Files are reported once none came for this long: the copies they cause compete with a load. */
const REPORT_QUIET_MS = 1000;

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
 * Watches the served files this page loads (modules and assets; the app's `fetch()` of a JSON
 * or wasm file counts too) from now on. Quiet is counted from the later of the last file and the
 * worker taking control: a first visit's app imports only once the worker controls the page.
 * Only a served file delays it: an app that polls its API every few hundred ms still goes quiet.
 * Started before the app imports: Resource Timing's buffer keeps only 250 entries.
 * `report`: the default store's report (`onState` hears the worker's answer).
 */
export function watchLoads(extensions: readonly string[], controlled: Promise<unknown>, report?: (store: StoreStatus) => void): void {
  if (typeof PerformanceObserver === 'undefined') return;
  const scope = `${location.origin}/`;
  const own = `${location.origin}${OWN_PATH_PREFIX}`;
  let urls: string[] = [];
  let fromCache: string[] = [];
  /** What the page loaded since its last `loads:quiet` (its own files included: offline it needs them too). */
  let loaded = new Set<string>();
  let first = true;
  let quiet: ReturnType<typeof setTimeout> | undefined;
  let reporting: ReturnType<typeof setTimeout> | undefined;
  const send = () => {
    if (urls.length === 0 || !report) return;
    void ask({ source: 'modrelay', type: 'store:seen', urls, fromCache }).then(report);
    urls = [];
    fromCache = [];
  };
  const saidQuiet = () => {
    if (document.readyState !== 'complete') return void addEventListener('load', () => setTimeout(saidQuiet, QUIET_MS), { once: true });
    post({ source: 'modrelay', type: 'loads:quiet', urls: [...loaded], first });
    loaded = new Set();
    first = false;
  };
  let isControlled = false;
  const arm = () => {
    clearTimeout(quiet);
    quiet = setTimeout(saidQuiet, QUIET_MS);
    clearTimeout(reporting);
    reporting = setTimeout(send, REPORT_QUIET_MS);
  };
  void controlled.then(() => {
    isControlled = true;
    arm();
  });
  const observer = new PerformanceObserver((list) => {
    let served = false;
    for (const entry of list.getEntries() as PerformanceResourceTiming[]) {
      const url = entry.name.split('#')[0]!;
      if (url.startsWith(own)) loaded.add(url);
      // (The client's eviction fetches are of URLs the worker tracks already; it skips those.)
      if (!url.startsWith(scope) || url.startsWith(own)) continue;
      if (!hasExtension(new URL(url).pathname, extensions)) continue;
      served = true;
      loaded.add(url);
      urls.push(url);
      if (fromHttpCache(entry)) fromCache.push(url);
    }
    if (isControlled && served) arm();
  });
  observer.observe({ type: 'resource', buffered: true });
}
