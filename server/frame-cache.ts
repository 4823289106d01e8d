import { encodeModuleFrameHead } from '../protocol/frame-codec.js';
import type { ModuleResponse } from '../protocol/wire.js';
import type { Module } from './module-store.js';
import type { Fragmented } from './outbox.js';

/**
 * A module frame is sent as two fragments of one WebSocket message: its head (length +
 * JSON header), then the store's own body buffer. `ws` writes a server frame's payload as
 * given, without copying it (ws/lib/sender.js `frame`), so no answer or push copies a body.
 *
 * The head of a pushed module (no `id`, no `push`) is the same bytes for every client, so it
 * is encoded once per module version. Keyed by the store's `Module` object, which is
 * replaced when the file changes and dropped when the store evicts it, so a head lives
 * exactly as long as its version is cached (or still queued on some socket).
 */
const pushes = new WeakMap<Module, Fragmented>();

function header(module: Module, extra: Pick<ModuleResponse, 'id' | 'push'>): ModuleResponse {
  return {
    type: 'module:response',
    ...extra,
    path: module.path,
    hash: module.hash,
    contentType: module.contentType,
    size: module.bytes.byteLength,
  };
}

/** The answer to a request. */
export function moduleFrame(module: Module, extra: Pick<ModuleResponse, 'id' | 'push'> = {}): Fragmented {
  return { head: encodeModuleFrameHead(header(module, extra)), shared: module.bytes };
}

export function pushFrame(module: Module): Fragmented {
  let frame = pushes.get(module);
  if (!frame) {
    frame = { head: encodeModuleFrameHead(header(module, {})), shared: module.bytes };
    pushes.set(module, frame);
  }
  return frame;
}
