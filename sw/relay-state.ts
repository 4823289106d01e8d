import type { RelayState } from '../protocol/wire.js';
import { after } from './deferred.js';

/** How long the status probe may take before the relay counts as unreachable. */
const PROBE_MS = 2000;

/**
 * Why the socket does not connect. A browser does not tell a refused WebSocket upgrade (403)
 * from a relay that is down: both are a close with code 1006. So the worker asks the relay's
 * HTTP status endpoint (`/@modrelay/status` on the socket's port, answered with CORS), which
 * says whether this origin is allowed.
 */
export async function diagnose(relayUrl: string): Promise<RelayState> {
  const status = new URL('/@modrelay/status', relayUrl.replace(/^ws/, 'http'));
  try {
    const response = await Promise.race([fetch(status, { mode: 'cors', cache: 'no-store' }), after(PROBE_MS, null)]);
    if (!response?.ok) return 'relay-unreachable';
    const report = (await response.json()) as { originAllowed?: boolean };
    return report.originAllowed === false ? 'origin-refused' : 'relay-unreachable';
  } catch {
    return 'relay-unreachable';
  }
}
