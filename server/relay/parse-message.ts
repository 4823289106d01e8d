import type { FilePath, Hash, SwMessage } from '../../protocol/wire.js';
import type { StoreStatus } from '../../protocol/page-messages.js';
import { LIMITS } from '../config/options.js';

export type ParsedMessage = { ok: true; message: SwMessage } | { ok: false; id?: number; path?: string; message: string };

/**
 * Parses and validates one inbound text frame. Everything from the socket is untrusted: the
 * result is either a well-typed `SwMessage` or a reason (with the request `id` when one could
 * be read, so the sender can match the `bad-request` to its request). Path rules are not
 * checked here; the store applies them to every path it loads.
 */
export function parseMessage(text: string): ParsedMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: 'frame is not valid JSON' };
  }
  if (!isPlainObject(value)) return { ok: false, message: 'frame must be a JSON object' };
  const id = isRequestId(value.id) ? value.id : undefined;
  const fail = (message: string): ParsedMessage => ({
    ok: false,
    ...(id !== undefined ? { id } : {}),
    ...(typeof value.path === 'string' ? { path: value.path } : {}),
    message,
  });
  // A notice (`worker:status`) is answered by nothing, so it carries no id.
  if (value.type === 'worker:status') {
    const store = storeStatus(value.store);
    if (typeof store === 'string') return fail(`"store" ${store}`);
    return { ok: true, message: { type: 'worker:status', store } };
  }
  if (id === undefined) return fail('"id" must be a non-negative safe integer');

  switch (value.type) {
    case 'module:request': {
      if (typeof value.path !== 'string') return fail('"path" must be a string');
      if (value.deps !== undefined && typeof value.deps !== 'boolean') return fail('"deps" must be a boolean');
      let have: Record<FilePath, Hash> | undefined;
      if (value.have !== undefined) {
        const map = hashMap(value.have);
        if (typeof map === 'string') return fail(`"have" ${map}`);
        have = map;
      }
      return {
        ok: true,
        message: { type: 'module:request', id, path: value.path, ...(value.deps ? { deps: true } : {}), ...(have ? { have } : {}) },
      };
    }
    case 'module:check':
      if (typeof value.path !== 'string') return fail('"path" must be a string');
      if (typeof value.hash !== 'string') return fail('"hash" must be a string');
      return { ok: true, message: { type: 'module:check', id, path: value.path, hash: value.hash } };
    case 'manifest:check': {
      const entries = hashMap(value.entries);
      if (typeof entries === 'string') return fail(`"entries" ${entries}`);
      return { ok: true, message: { type: 'manifest:check', id, entries } };
    }
    default:
      return fail(`unknown message type ${JSON.stringify(value.type)}`);
  }
}

/** A path → hash object with at most `LIMITS.maxManifestEntries` entries, or what is wrong with it. */
function hashMap(value: unknown): Record<FilePath, Hash> | string {
  if (!isPlainObject(value)) return 'must be an object of path → hash';
  const entries = Object.entries(value);
  if (entries.length > LIMITS.maxManifestEntries) return `has more than ${LIMITS.maxManifestEntries} entries`;
  // A null-prototype copy: "__proto__" or "constructor" keys stay plain data.
  const map: Record<FilePath, Hash> = Object.create(null);
  for (const [path, hash] of entries) {
    if (typeof hash !== 'string') return `value for ${JSON.stringify(path)} must be a string`;
    map[path] = hash;
  }
  return map;
}

const STORES = ['http-cache', 'cache-storage'];
const STATES = ['pending', 'ready', 'unsupported', 'off'];
const ANSWERING = ['http-cache', 'worker'];
/** Longest `reason` kept: it is shown in a terminal line and the status. */
const MAX_REASON = 500;

/** A worker's store status, or what is wrong with it. */
function storeStatus(value: unknown): StoreStatus | string {
  if (!isPlainObject(value)) return 'must be an object';
  const { store, state, answering, reason } = value;
  if (typeof store !== 'string' || !STORES.includes(store)) return `"store" must be one of ${STORES.join(', ')}`;
  if (typeof state !== 'string' || !STATES.includes(state)) return `"state" must be one of ${STATES.join(', ')}`;
  if (typeof answering !== 'string' || !ANSWERING.includes(answering)) return `"answering" must be one of ${ANSWERING.join(', ')}`;
  if (reason !== null && (typeof reason !== 'string' || reason.length > MAX_REASON)) return `"reason" must be null or a string of at most ${MAX_REASON} characters`;
  return { store, state, answering, reason } as StoreStatus;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRequestId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
