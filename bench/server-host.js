// @ts-check
/**
 * Runs the servers under test in a process of their own. The bench process also runs
 * Playwright, whose CDP traffic (an event per module request) would otherwise share an
 * event loop with the servers it measures. Driven by run.js over IPC (see hosts.js):
 * each message { id, cmd, ...args } gets { id, ok, result | error }.
 */
import http from 'node:http';
import path from 'node:path';
import sirv from 'sirv';

/**
 * @typedef {{ modules: number, notModified: number, other: number }} Counts
 * @typedef {{ counts: Counts | null, close: () => Promise<void> }} Hosted  counts: null where
 *   requests cannot be counted here (modrelay's own HTTP server)
 */

/** @type {Map<number, Hosted>} */
const hosted = new Map();
let nextHandle = 1;

const isModule = (/** @type {string} */ url) => /\.m?js(\?|$)/.test(url);
const emptyCounts = () => ({ modules: 0, notModified: 0, other: 0 });

/**
 * Counts what reaches the server: module requests, and how many were answered 304.
 * @param {Counts} counts
 * @param {http.IncomingMessage} req
 * @param {http.ServerResponse} res
 */
function count(counts, req, res) {
  if (isModule(req.url ?? '')) {
    counts.modules++;
    res.once('finish', () => { if (res.statusCode === 304) counts.notModified++; });
  } else {
    counts.other++;
  }
}

/** @param {http.Server} server */
function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(/** @type {import('node:net').AddressInfo} */ (server.address()).port));
  });
}

/**
 * Static files with sirv: `immutable` (max-age one year, the floor) or `no-cache` with
 * ETag/304 (plain development HTTP). The HTML page is always `no-cache`, so a reload
 * asks for it again and only the modules' policy differs.
 * @param {{ root: string, cache: 'immutable' | 'no-cache', headers?: Record<string, string> }} args
 */
async function startStatic({ root, cache, headers = {} }) {
  const counts = emptyCounts();
  const files = sirv(root, {
    dev: false,
    etag: true,
    ...(cache === 'immutable' ? { maxAge: 31536000, immutable: true } : {}),
    setHeaders: (res, pathname) => {
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      if (cache === 'no-cache' || pathname.endsWith('.html') || pathname === '/') res.setHeader('Cache-Control', 'no-cache');
    },
  });
  const server = http.createServer((req, res) => {
    count(counts, req, res);
    files(req, res);
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}/`,
    hosted: { counts, close: () => new Promise((r) => server.close(() => r(undefined))) },
  };
}

/**
 * Vite's dev server over the same files. Imports are relative, so no dependency
 * optimisation is involved; its cache folder stays inside the temporary site.
 * @param {{ root: string, headers?: Record<string, string> }} args
 */
async function startVite({ root, headers = {} }) {
  const { createServer } = await import('vite');
  const counts = emptyCounts();
  const server = await createServer({
    root,
    configFile: false,
    envFile: false,
    cacheDir: path.join(root, '.vite'),
    logLevel: 'silent',
    clearScreen: false,
    appType: 'mpa',
    optimizeDeps: { noDiscovery: true, include: [] },
    server: { host: '127.0.0.1', port: 0, strictPort: true, headers },
    plugins: [{
      name: 'modrelay-bench-count',
      // Registered before Vite's own middlewares, so it sees every request.
      configureServer: (s) => { s.middlewares.use((req, res, next) => { count(counts, req, res); next(); }); },
    }],
  });
  await server.listen();
  const address = /** @type {import('node:net').AddressInfo} */ (server.httpServer?.address());
  return { url: `http://127.0.0.1:${address.port}/`, hosted: { counts, close: () => server.close() } };
}

/**
 * modrelay's embedded server (static HTTP + /sw.js + client + relay) through its Node API.
 * @param {{ root: string, allowOrigins?: string[], headers?: Record<string, string> }} args
 */
async function startModrelay({ root, allowOrigins, headers = {} }) {
  const { serve } = await import('../dist/server/index.js');
  const server = await serve({ root, port: 0, relayPort: 0, headers, ...(allowOrigins ? { allowOrigins } : {}) });
  return {
    url: server.url,
    relayUrl: server.relay.url,
    hosted: { counts: null, close: () => server.close() },
  };
}

/** @param {any} msg */
async function handle(msg) {
  switch (msg.cmd) {
    case 'static':
    case 'vite':
    case 'modrelay': {
      const start = msg.cmd === 'static' ? startStatic : msg.cmd === 'vite' ? startVite : startModrelay;
      const { hosted: h, ...info } = await start(msg);
      const handle = nextHandle++;
      hosted.set(handle, h);
      return { handle, ...info };
    }
    case 'counts': {
      const h = hosted.get(msg.handle);
      if (!h) throw new Error(`no server ${msg.handle}`);
      if (!h.counts) return null;
      const snapshot = { ...h.counts };
      Object.assign(h.counts, emptyCounts());
      return snapshot;
    }
    case 'closeAll': {
      const all = [...hosted.values()];
      hosted.clear();
      await Promise.allSettled(all.map((h) => h.close()));
      return null;
    }
    default:
      throw new Error(`unknown command ${msg.cmd}`);
  }
}

process.on('message', (/** @type {any} */ msg) => {
  handle(msg).then(
    (result) => process.send?.({ id: msg.id, ok: true, result }),
    (error) => process.send?.({ id: msg.id, ok: false, error: String((error && error.stack) || error) }),
  );
});
// The parent going away (even by a crash) ends the host, so no server outlives a run.
process.on('disconnect', () => process.exit(0));
