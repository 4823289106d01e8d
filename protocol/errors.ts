import type { ErrorCode } from './wire.js';

/**
 * One table of human messages for every error code (Workbox keeps its messages the same
 * way). The relay puts `message` on the wire; the worker uses the same text in its logs.
 */
export const ERROR_MESSAGES: Record<ErrorCode, string> = {
  'not-found': 'No such module under the relay root.',
  forbidden: 'Path refused: it leaves the root, names a dotfile or dot-folder, or is not a plain URL path.',
  'too-large': 'The module is larger than the relay\'s per-file size cap.',
  'bad-request': 'Malformed frame: expected one JSON message with a known type and valid fields.',
  'unsupported-type': 'Only modules with an allowed extension are served.',
  'too-many-requests': 'Too many requests in flight on this connection; retry when some are answered.',
  internal: 'The relay failed to read the module.',
  'hash-mismatch': 'The body does not match its sha-256: neither cached nor served.',
};

/**
 * Codes that mean "the relay does not serve this path": the worker answers such URLs
 * network-first from then on instead of asking the relay again.
 */
export const NOT_OURS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['not-found', 'forbidden', 'unsupported-type', 'too-large']);
