import { cp } from 'node:fs/promises';
import http from 'node:http';
import { listenLoopback, type LoopbackServer } from './loopback-server.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';
import { modrelayCacheHeaders } from '../../server/http/middleware.js';
import { ownFilesHandler } from '../../server/http/own-files.js';
import { removeRoot, tempRoot } from '../support/temp.js';

/**
 * The page under test: a copy of three.js's `src/` (hundreds of real modules nobody here
 * wrote) in a temp folder, plus an index.html whose inline boot either imports three over
 * plain HTTP (`?mode=http`) or registers modrelay first (`?mode=relay`), then reports
 * `window.__result`. The boot is inline so a fault can only hit modules, never the boot.
 *
 * The static server plays `serve`'s part (sirv for the root, and `serve`'s own handler for
 * /sw.js and /@modrelay/client.mjs) but takes the relay URL as a parameter, so tests can
 * point pages at a relay in a child process that they kill and restart.
 */
const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const THREE_SRC = join(REPO, 'node_modules/three/src');

const INDEX_HTML = `<!doctype html>
<meta charset="utf-8">
<title>modrelay fault page</title>
<script type="module">
// Every module's Resource Timing entry (the default buffer holds 250): the fault-proxy test
// compares when the page asked for a module with when its HTTP request reached the proxy.
performance.setResourceTimingBufferSize(10000);
const mode = new URLSearchParams(location.search).get('mode');
try {
  if (mode === 'relay') {
    const { registerModuleRelay } = await import('/@modrelay/client.mjs');
    await registerModuleRelay();
  }
  const THREE = await import('/src/Three.js');
  window.__result = {
    ok: true,
    exports: Object.keys(THREE).length,
    revision: THREE.REVISION,
    length: new THREE.Vector3(3, 4, 12).length(),
    controlled: !!navigator.serviceWorker?.controller,
  };
} catch (error) {
  window.__result = { ok: false, error: String(error) };
}
</script>
`;

export interface TempSite {
  root: string;
  remove(): Promise<void>;
}

export async function makeThreeSite(): Promise<TempSite> {
  const root = await tempRoot({ 'index.html': INDEX_HTML }, { prefix: 'modrelay-faults-site-' });
  await cp(THREE_SRC, join(root, 'src'), { recursive: true });
  return { root, remove: () => removeRoot(root) };
}

export type SiteServer = LoopbackServer;

/**
 * `relayUrl` may be a function: read per request, so the relay can start after the site.
 * `refuse`: URL paths this server answers 503 to, as a broken proxy would (so whatever the
 * page gets for them came through the worker). `honourStore`: answer the HTTP-cache store's
 * header (through `modrelay/middleware`), so the default store copies and goes routed;
 * without it this server ignores the header, and pages stay on the worker-answered path.
 */
export async function startSiteServer(
  root: string, relayUrl: string | (() => string), refuse: (path: string) => boolean = () => false, honourStore = false,
): Promise<SiteServer> {
  const ownFiles = ownFilesHandler(typeof relayUrl === 'function' ? relayUrl : () => relayUrl, () => false);
  const statics = sirv(root, { dev: true, etag: true });
  const cacheHeaders = modrelayCacheHeaders();
  const server = http.createServer((req, res) => {
    if (refuse((req.url ?? '/').split('?')[0]!)) return void res.writeHead(503).end('refused by the test');
    void ownFiles(req, res).then((answered) => {
      if (answered) return;
      const serveFile = () => statics(req, res, () => void res.writeHead(404).end('not found'));
      if (honourStore) cacheHeaders(req, res, serveFile);
      else serveFile();
    });
  });
  return listenLoopback(server);
}
