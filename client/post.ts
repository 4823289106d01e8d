import type { PageToSwMessage } from '../protocol/wire.js';

/** Posts to the worker controlling this page; a page with none has nobody to tell. */
export function post(message: PageToSwMessage, transfer: Transferable[] = []): void {
  navigator.serviceWorker.controller?.postMessage(message, transfer);
}
