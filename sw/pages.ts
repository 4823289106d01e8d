import type { SwToPageMessage } from '../protocol/wire.js';

declare const self: ServiceWorkerGlobalScope;

/** Posts to every window of this origin, controlled or not (the first visit is not). */
export async function postToPages(...messages: SwToPageMessage[]): Promise<void> {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const client of windows) for (const message of messages) client.postMessage(message);
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
