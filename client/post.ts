import type { PageToSwMessage, SwReplies, SwReplyTo } from '../protocol/page-messages.js';

/** Posts to the worker controlling this page; a page with none has nobody to tell. */
export function post(message: PageToSwMessage): void {
  navigator.serviceWorker.controller?.postMessage(message);
}

/**
 * Sends a request to the worker controlling this page and resolves with its reply, which comes
 * on a `MessageChannel` of its own (protocol/wire.ts `SwReplies`). Never settles when no worker
 * controls the page or none replies: callers race it against their own timeout.
 */
export function ask<K extends keyof SwReplies>(message: Extract<PageToSwMessage, { type: K }>): Promise<SwReplyTo<K>> {
  const channel = new MessageChannel();
  const replied = new Promise<SwReplyTo<K>>((resolve) => {
    channel.port1.onmessage = (event: MessageEvent<SwReplyTo<K>>) => resolve(event.data);
  });
  navigator.serviceWorker.controller?.postMessage(message, [channel.port2]);
  return replied;
}
