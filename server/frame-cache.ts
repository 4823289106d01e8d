import { encodeModuleFrame } from '../protocol/frame-codec.js';
import type { ModuleResponse } from '../protocol/wire.js';
import { JS_CONTENT_TYPE } from '../protocol/defaults.js';
import type { Module } from './module-store.js';

/**
 * The frame of a pushed module (no `id`, no `push`) is the same bytes for every client, so
 * it is encoded once per module version and the one buffer is sent to all of them: `ws`
 * writes an unmasked (server) frame's payload as given, without copying it
 * (ws/lib/sender.js `frame`). Keyed by the store's `Module` object, which is replaced when
 * the file changes and dropped when the store evicts it, so a frame lives exactly as long
 * as its version is cached (or still queued on some socket).
 */
const frames = new WeakMap<Module, Uint8Array>();

export function moduleFrame(module: Module, extra: Pick<ModuleResponse, 'id' | 'push'> = {}): Uint8Array {
  const header: ModuleResponse = {
    type: 'module:response',
    ...extra,
    path: module.path,
    hash: module.hash,
    contentType: JS_CONTENT_TYPE,
    size: module.bytes.byteLength,
  };
  return encodeModuleFrame(header, module.bytes);
}

export function pushFrame(module: Module): Uint8Array {
  let frame = frames.get(module);
  if (!frame) {
    frame = moduleFrame(module);
    frames.set(module, frame);
  }
  return frame;
}
