import { ERROR_MESSAGES } from '../../protocol/errors.js';
import type { ModuleResponse } from '../../protocol/wire.js';
import type { Verified } from '../cache/cached.js';
import { sha256Hex } from '../kit/hash.js';

/**
 * Checks a relay body against the size and sha-256 in its header. A mismatch resolves
 * null: the bytes are neither cached nor served, and the fetch falls to HTTP.
 */
export async function verify(header: ModuleResponse, body: Uint8Array, epoch: number): Promise<Verified | null> {
  if (body.byteLength !== header.size) return null;
  // Own the bytes: the frame's buffer also holds the JSON header.
  const bytes = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
  const hash = await sha256Hex(bytes);
  if (hash !== header.hash) {
    console.warn(`modrelay: ${header.path}: ${ERROR_MESSAGES['hash-mismatch']}`);
    return null;
  }
  return { path: header.path, hash, contentType: header.contentType, bytes, epoch };
}
