import type { ModuleResponse } from './wire.js';

/**
 * Binary framing of `module:response`: [u32 BE header length][UTF-8 JSON header][body].
 * Shared by the relay (encode) and the SW (decode); works on Node and in browsers.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeModuleFrame(header: ModuleResponse, body: Uint8Array): Uint8Array {
  const head = encodeModuleFrameHead(header);
  const frame = new Uint8Array(head.byteLength + body.byteLength);
  frame.set(head, 0);
  frame.set(body, head.byteLength);
  return frame;
}

/**
 * The frame up to its body: [u32 BE header length][header]. The relay sends it and then the
 * body as the next fragment of the same WebSocket message, so a body is never copied into a
 * frame: every answer shares the one buffer the relay holds.
 */
export function encodeModuleFrameHead(header: ModuleResponse): Uint8Array {
  const json = encoder.encode(JSON.stringify(header));
  const head = new Uint8Array(4 + json.byteLength);
  new DataView(head.buffer).setUint32(0, json.byteLength);
  head.set(json, 4);
  return head;
}

/** Returns null for a frame that is not a well-formed module frame. */
export function decodeModuleFrame(
  frame: ArrayBuffer | Uint8Array,
): { header: ModuleResponse; body: Uint8Array } | null {
  const bytes = frame instanceof Uint8Array ? frame : new Uint8Array(frame);
  if (bytes.byteLength < 4) return null;
  const headLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  if (4 + headLength > bytes.byteLength) return null;
  let header: unknown;
  try {
    header = JSON.parse(decoder.decode(bytes.subarray(4, 4 + headLength)));
  } catch {
    return null;
  }
  const h = header as Partial<ModuleResponse> | null;
  if (
    !h || h.type !== 'module:response' || typeof h.path !== 'string' ||
    typeof h.hash !== 'string' || typeof h.contentType !== 'string' || typeof h.size !== 'number'
  ) {
    return null;
  }
  const body = bytes.subarray(4 + headLength);
  if (body.byteLength !== h.size) return null;
  return { header: h as ModuleResponse, body };
}
