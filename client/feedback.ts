import type { RelayState, StoreStatus, SwToPageEvents } from '../protocol/page-messages.js';

/** The version this client was built as (vite.config.ts). */
declare const __MODRELAY_VERSION__: string;

type Status = SwToPageEvents['relay:status'];

/** What happens to files while the relay cannot be reached (sw/fetch/fetch-file.ts). */
const WITHOUT_RELAY = 'Meanwhile files come over plain HTTP, and from the worker\'s copies when the network fails too.';

/** Errors that mean the app's modules did not load: a parse error, a missing export or module. */
const LOAD_ERRORS = /SyntaxError|does not provide an export|Failed to fetch dynamically imported module|Failed to resolve module specifier/;

/**
 * What the developer sees in the browser console: a line per change, a warning when the
 * worker cannot reach the relay (and why, with the fix), one when the page's copies of
 * modrelay differ from the running relay, and a clear report when the app fails to load.
 */
export class Feedback {
  /** The worker's link as last reported ('connecting' until the worker says). */
  state: RelayState = 'connecting';
  /** The worker's store as it last said (`relay:status`, `store:state`). */
  store: StoreStatus | null = null;
  private warnedVersion = false;
  private readonly saidReasons = new Set<string>();

  constructor(private readonly relayUrl: string, private readonly overlay: boolean) {}

  updated(url: string, removed: boolean): void {
    console.info(`[modrelay] ${removed ? 'removed' : 'updated'} ${new URL(url).pathname}`);
  }

  /**
   * The worker said which store answers and why: a `modrelay:store` event when that changed,
   * and a console line once per reason the fast path is off (a warning when it cannot engage
   * here, a note while it is on its way or was not asked for).
   */
  storeSaid(store: StoreStatus): void {
    const changed = JSON.stringify(store) !== JSON.stringify(this.store);
    this.store = store;
    if (changed) dispatchEvent(new CustomEvent('modrelay:store', { detail: store }));
    if (store.reason === null || this.saidReasons.has(store.reason)) return;
    this.saidReasons.add(store.reason);
    const line = `[modrelay] warm loads are answered by the ${store.answering === 'worker' ? 'worker, not the browser\'s HTTP cache' : 'browser\'s HTTP cache'} (store ${store.store}, ${store.state}): ${store.reason}`;
    if (store.state === 'unsupported') console.warn(line);
    else console.info(line);
  }

  status(status: Status): void {
    this.storeSaid(status.store);
    const before = this.state;
    this.state = status.state;
    if (status.state !== before && status.state === 'origin-refused') {
      console.warn(`[modrelay] the relay at ${this.relayUrl} refused this page's origin: start it with --allow-origin ${location.origin}. ${WITHOUT_RELAY}`);
    } else if (status.state !== before && status.state === 'relay-unreachable') {
      console.warn(`[modrelay] the relay at ${this.relayUrl} is unreachable (is \`modrelay relay\` or \`modrelay serve\` running?). ${WITHOUT_RELAY}`);
    } else if (status.state === 'connected' && before !== 'connected' && before !== 'connecting') {
      console.info(`[modrelay] connected to the relay at ${this.relayUrl}`);
    }
    const mine = __MODRELAY_VERSION__;
    const stale = [status.relayVersion, status.workerVersion].some((version) => version !== null && version !== mine);
    if (stale && !this.warnedVersion) {
      this.warnedVersion = true;
      console.warn(`[modrelay] versions differ: client ${mine}, worker ${status.workerVersion}, relay ${status.relayVersion ?? 'unknown'}. If you copied modrelay's files (modrelay init), run \`npx modrelay init\` again.`);
    }
  }

  /** Reports errors that stop the app: a module that fails to load or parse, with its file and line. */
  watchErrors(): void {
    addEventListener('error', (event) => {
      // Only what stops modules from loading, not every runtime error of the app.
      if (!LOAD_ERRORS.test(`${(event.error as Error | undefined)?.name ?? ''} ${event.message}`)) return;
      const where = event.filename ? ` (${new URL(event.filename, location.href).pathname}:${event.lineno}:${event.colno})` : '';
      this.report(`${event.message}${where}`);
    });
    addEventListener('unhandledrejection', (event) => {
      const reason = event.reason as { name?: string; message?: string; stack?: string } | undefined;
      if (LOAD_ERRORS.test(`${reason?.name ?? ''} ${reason?.message ?? ''}`)) this.report(`${reason!.name}: ${reason!.message ?? ''}`);
    });
  }

  private report(text: string): void {
    console.error(`[modrelay] the app failed to load: ${text}`);
    if (!this.overlay || typeof document === 'undefined') return;
    const box = document.createElement('pre');
    box.id = 'modrelay-error';
    box.textContent = `modrelay: the app failed to load\n\n${text}\n\n(click to close)`;
    box.style.cssText = 'position:fixed;inset:auto 1rem 1rem 1rem;z-index:2147483647;margin:0;padding:1rem;'
      + 'background:#1e1e1e;color:#ff8080;font:13px/1.5 ui-monospace,monospace;white-space:pre-wrap;border-radius:6px;cursor:pointer';
    box.onclick = () => box.remove();
    document.getElementById('modrelay-error')?.remove();
    (document.body ?? document.documentElement).append(box);
  }
}
