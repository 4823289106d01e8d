import { STATUS_PATH } from '../../protocol/defaults.js';
import type { RelayState } from '../../protocol/page-messages.js';
import { after } from '../kit/deferred.js';

/** How long each status probe may take before the relay counts as unreachable. */
const PROBE_MS = 2000;

/**
 * Why the socket does not connect. A browser does not tell a refused WebSocket upgrade (403)
 * from a relay that is down: both are a close with code 1006. So the worker asks the relay's
 * HTTP status endpoint (`/@modrelay/status` on the socket's port). An allowed origin reads it
 * (CORS); a refused one is not given CORS (server/access/cross-origin.ts), so its read fails like a
 * relay that is down — but a `no-cors` request still gets an (opaque) answer from a relay that
 * is up, which tells the two apart without the relay telling a refused origin anything.
 */
export async function diagnose(relayUrl: string): Promise<RelayState> {
  const status = new URL(STATUS_PATH, relayUrl.replace(/^ws/, 'http'));
  const probe = (mode: RequestMode) => Promise.race([fetch(status, { mode, cache: 'no-store' }), after(PROBE_MS, null)]);
  try {
    const response = await probe('cors');
    if (!response?.ok) return 'relay-unreachable';
    const report = (await response.json()) as { originAllowed?: boolean };
    return report.originAllowed === false ? 'origin-refused' : 'relay-unreachable';
  } catch {
    // Not readable: refused, or nobody answered at all.
    return (await probe('no-cors').catch(() => null)) ? 'origin-refused' : 'relay-unreachable';
  }
}
