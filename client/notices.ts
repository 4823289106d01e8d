import type { SwToPageMessage } from '../protocol/page-messages.js';
import { silentWorkerMessage } from './checks.js';
import type { Feedback } from './feedback.js';
import { evict } from './http-cache.js';
import { ask, post } from './post.js';
import { swapStylesheet } from './stylesheets.js';
import { isRouted } from './versions.js';

/** A worker that has not answered `status` within this long is not modrelay's. */
const SILENT_MS = 3000;

/**
 * Once controlled: cache what loaded before (offline boots), learn how the link is (a worker
 * that never answers is the app's own without modrelay: said once), keep the worker awake.
 */
export function started(heartbeatMs: number, feedback: Feedback, swUrl: string): void {
  post({ source: 'modrelay', type: 'warm', urls: loadedUrls() });
  let answered = false;
  void ask({ source: 'modrelay', type: 'status' }).then((status) => {
    answered = true;
    feedback.status(status);
  });
  setTimeout(() => { if (!answered) console.warn(silentWorkerMessage(swUrl)); }, SILENT_MS);
  heartbeat(heartbeatMs);
}

/** The page, this client, and same-origin scripts fetched before the worker controlled us. */
function loadedUrls(): string[] {
  const urls = new Set([location.href.split('#')[0]!, import.meta.url]);
  for (const entry of performance.getEntriesByType('resource')) {
    if (entry.name.startsWith(location.origin)) urls.add(entry.name);
  }
  return [...urls];
}

function heartbeat(ms: number): void {
  if (!(ms > 0)) return;
  setInterval(() => {
    if (document.visibilityState === 'visible') post({ source: 'modrelay', type: 'heartbeat' });
  }, ms);
}

let listening = false;

/**
 * The worker's notices, turned into what the page sees: console lines, `modrelay:update`
 * events (in order, each once its file is evicted from Blink's memory cache), a stylesheet
 * swapped in place, or a reload.
 */
export function listen(container: ServiceWorkerContainer, feedback: Feedback, reloadOnUpdate: boolean, hotStylesheets: boolean, httpCache: boolean): void {
  if (listening) return;
  listening = true;
  feedback.watchErrors();
  // Notices keep their order even when each waits for its eviction.
  let queue: Promise<unknown> = Promise.resolve();
  container.addEventListener('message', (event: MessageEvent<SwToPageMessage>) => {
    const message = event.data;
    if (!message || message.source !== 'modrelay') return;
    if (message.type === 'relay:status') return feedback.status(message);
    if (message.type !== 'module:updated' && message.type !== 'module:removed') return;
    const hash = message.type === 'module:updated' ? message.hash : null;
    feedback.updated(message.url, hash === null);
    // Only HTTP-cache answers land in Blink's memory cache as immutable (client/http-cache.ts).
    const evicted = httpCache && isRouted(container.controller) ? evict([message.url]) : undefined;
    queue = Promise.all([queue, evicted]).then(() => {
      dispatchEvent(new CustomEvent('modrelay:update', { detail: { url: message.url, hash } }));
      const swapped = hotStylesheets && hash !== null && message.url.endsWith('.css') && swapStylesheet(message.url, hash);
      if (reloadOnUpdate && !swapped) location.reload();
    });
  });
  // Messages sent before the page's load event are held until this (or onmessage) runs.
  container.startMessages();
}
