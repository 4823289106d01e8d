import { encodeModuleFrameHead } from '../../protocol/frame-codec.js';
import type { ModuleResponse } from '../../protocol/wire.js';
import type { ServedFile } from '../files/source.js';
import type { Fragmented } from './outbox.js';

/**
 * A module frame is sent as two fragments of one WebSocket message: its head (length +
 * JSON header), then the store's own body buffer. `ws` writes a server frame's payload as
 * given, without copying it (ws/lib/sender.js `frame`), so no answer or push copies a body.
 *
 * The head of a pushed module (no `id`, no `push`) is the same bytes for every client, so it
 * is encoded once per file version. Keyed by the source's `ServedFile` object, which is
 * replaced when the file changes and dropped when the store evicts it, so a head lives
 * exactly as long as its version is cached (or still queued on some socket).
 */
const pushes = new WeakMap<ServedFile, Fragmented>();

function header(file: ServedFile, extra: Pick<ModuleResponse, 'id' | 'push'>): ModuleResponse {
  return {
    type: 'module:response',
    ...extra,
    path: file.path,
    hash: file.hash,
    contentType: file.contentType,
    size: file.bytes.byteLength,
  };
}

/** The answer to a request. */
export function moduleFrame(file: ServedFile, extra: Pick<ModuleResponse, 'id' | 'push'> = {}): Fragmented {
  return { head: encodeModuleFrameHead(header(file, extra)), shared: file.bytes };
}

export function pushFrame(file: ServedFile): Fragmented {
  let frame = pushes.get(file);
  if (!frame) {
    frame = { head: encodeModuleFrameHead(header(file, {})), shared: file.bytes };
    pushes.set(file, frame);
  }
  return frame;
}
