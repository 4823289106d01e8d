import type { PageToSwMessage, StoreStatus, SwReplies, SwReplyTo } from '../../protocol/page-messages.js';
import type { HttpCacheStore } from '../http-cache/http-cache-store.js';
import type { Loads } from '../fetch/loads.js';
import type { Link } from '../relay/link.js';

/** A page about to import waits at most this long for a validation the connected relay is busy with. */
const VALIDATION_WAIT_MS = 10_000;

/** What answering the pages needs of the worker (sw/engine.ts provides it). */
export interface PagesContext {
  readonly budget: number;
  /** The HTTP-cache store, when this worker keeps one. */
  readonly httpStore: HttpCacheStore | null;
  /** This version carries the static routes (protocol/sw-url.ts `routed`). */
  readonly routed: boolean;
  readonly loads: Loads;
  readonly link: Link;
  /** True while the relay's socket is up. */
  readonly connected: boolean;
  /** Retries a dropped relay link now. */
  kick(): void;
  /** How the link is, as `relay:status` says it. */
  status(): SwReplyTo<'status'>;
  /** Which store answers the pages' files, and why. */
  storeStatus(): StoreStatus;
  /** A page said which files it loaded (`loads:quiet`): its offline copy is whole once they are on disk. */
  pageLoaded(page: string, urls: readonly string[], first: boolean): void;
  /** Caches what a page loaded before the worker controlled it (sw/fetch/warm.ts). */
  warm(urls: string[]): Promise<void>;
  /** Makes or revalidates the routed version's copy of the client (sw/http-cache/client-copy.ts). */
  copyClient(): Promise<void>;
}

/** The strings of a list a page sent (anything else in it is dropped). */
function strings(list: unknown): string[] {
  return Array.isArray(list) ? list.filter((url): url is string => typeof url === 'string') : [];
}

/** Messages from pages (protocol/wire.ts `PageToSwEvents`); others are ignored. */
export function onPageMessage(ctx: PagesContext, event: ExtendableMessageEvent): void {
  const message = event.data as PageToSwMessage | null;
  if (!message || typeof message !== 'object' || message.source !== 'modrelay') return;
  const reply = <K extends keyof SwReplies>(answer: Promise<SwReplyTo<K>>) => {
    const port = event.ports[0];
    if (port) event.waitUntil(answer.then((value) => port.postMessage(value)));
  };
  switch (message.type) {
    case 'heartbeat':
      // Receiving it already reset the idle timer; also retry a dropped link now.
      ctx.kick();
      return;
    case 'status':
      return reply<'status'>(Promise.resolve(ctx.status()));
    case 'loads:quiet': {
      ctx.loads.pageQuiet();
      const page = event.source instanceof WindowClient ? event.source.url.split('#')[0]! : null;
      if (page && Array.isArray(message.urls)) ctx.pageLoaded(page, strings(message.urls), message.first === true);
      return;
    }
    case 'warm':
      if (Array.isArray(message.urls)) event.waitUntil(ctx.warm(message.urls));
      return;
    case 'store:prepare':
      if (Number.isFinite(message.since)) reply<'store:prepare'>(prepare(ctx, message.since));
      return;
    case 'store:seen': {
      const store = ctx.httpStore;
      if (!store || !Array.isArray(message.urls)) return;
      // The routed version revalidates the client's copy too; the page takes it once told the state.
      const client = ctx.routed ? ctx.copyClient() : undefined;
      // Copies compete with a load still going through this worker (a first visit reports early): let it finish first.
      const state = ctx.loads.done().then(() => store.report(strings(message.urls), new Set(strings(message.fromCache))));
      return reply<'store:seen'>(Promise.all([state, client]).then(() => ({ source: 'modrelay', type: 'store:state', ...ctx.storeStatus() })));
    }
    default: {
      const unknown: never = message;
      return unknown;
    }
  }
}

/**
 * Replies to `store:prepare` once the page may import: the relay vouched for every copy within
 * the budget, or (relay down or slow) every copy was revalidated over HTTP; and no copy is
 * being replaced. Without the HTTP-cache store there is nothing to prepare.
 */
async function prepare(ctx: PagesContext, since: number): Promise<SwReplyTo<'store:prepare'>> {
  const store = ctx.httpStore;
  let validated = ctx.link.validated;
  let changed: string[] = [];
  if (store) {
    validated ||= await ctx.link.waitValidated(Date.now() + ctx.budget);
    // Connected and still checking (many changed files to copy): the relay's answer is
    // cheaper than revalidating every copy over HTTP, so wait for it, bounded.
    if (!validated && ctx.connected) validated = await ctx.link.whenValidated(VALIDATION_WAIT_MS);
    changed = await store.prepare(validated, since);
  }
  return { source: 'modrelay', type: 'store:ready', validated, changed, at: Date.now() };
}
