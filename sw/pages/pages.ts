import type { SwToPageMessage } from '../../protocol/page-messages.js';

declare const self: ServiceWorkerGlobalScope;

/** The windows the last `matchAll` found, by client id. */
let known = new Map<string, Client>();

/**
 * Posts to every window of this origin, controlled or not (the first visit is not).
 * `clients.matchAll` asks the browser, a round trip that was most of the ~6 ms between a
 * notice's post and the page's handler: the windows known from the last call are posted to
 * first, and only windows it did not know of wait for the answer. (A window that closed or
 * navigated away since drops the message; its next document is a new client.)
 */
export async function postToPages(...messages: SwToPageMessage[]): Promise<void> {
  const told = known;
  for (const client of told.values()) for (const message of messages) client.postMessage(message);
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  known = new Map(windows.map((client) => [client.id, client]));
  for (const client of windows) if (!told.has(client.id)) for (const message of messages) client.postMessage(message);
}

/**
 * Change notices to pages, in the relay's order, each posted once the work it concerns is
 * done (replacing HTTP-cache copies), so a page that reloads on the notice imports the new code.
 */
export class Announcements {
  private last: Promise<unknown> = Promise.resolve();

  announce(work: Promise<unknown>, messages: SwToPageMessage[]): void {
    this.last = Promise.all([this.last, work]).catch(() => undefined).then(() => postToPages(...messages));
  }
}
