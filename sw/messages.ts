import type { PageToSwMessage } from '../protocol/wire.js';
import type { ModuleRelay } from './module-relay.js';
import { warm } from './warm.js';

/** Messages from pages (see PageToSwEvents in protocol/wire.ts). Others are ignored. */
export function onPageMessage(engine: ModuleRelay, event: ExtendableMessageEvent): void {
  const message = event.data as PageToSwMessage | null;
  if (!message || typeof message !== 'object' || message.source !== 'modrelay') return;
  switch (message.type) {
    case 'heartbeat':
      // Receiving it already reset the idle timer; also retry a dropped link now.
      engine.socket.kick();
      return;
    case 'warm':
      if (Array.isArray(message.urls)) event.waitUntil(warm(engine, message.urls));
      return;
    default: {
      const unknown: never = message;
      return unknown;
    }
  }
}
