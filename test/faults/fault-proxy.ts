import { STORE_HEADER } from '../../protocol/http-cache.js';
import http from 'node:http';
import { listenLoopback } from './loopback-server.js';
import { hash32, mulberry32, pick } from './prng.js';

/**
 * An HTTP proxy on loopback that breaks a chosen share of module responses the way the
 * Caddy → Netlify Dev chain broke them (the pain modrelay starts from):
 * - `truncate`: full Content-Length, part of the body, then close → ERR_CONTENT_LENGTH_MISMATCH
 * - `chunked`:  chunked encoding without the final chunk, then close → ERR_INCOMPLETE_CHUNKED_ENCODING
 * - `reset`:    TCP reset before any byte → ERR_CONNECTION_RESET
 * - `stall`:    headers and half the body, a bounded pause, then the rest (slow but correct)
 * - `delay`:    the whole answer, whatever its status, after the same pause (slow but correct;
 *               not among the default kinds: a test uses it to keep a request in flight)
 *
 * The decision for the n-th request of a path depends only on (seed, path, n), so a run is
 * the same whatever order the browser sends its requests in.
 */
export type FaultKind = 'truncate' | 'chunked' | 'reset' | 'stall' | 'delay';
export const FAULT_KINDS: readonly FaultKind[] = ['truncate', 'chunked', 'reset', 'stall'];

export interface FaultProxyOptions {
  /** Upstream origin, e.g. "http://127.0.0.1:8080" (or set later with setTarget). */
  target?: string;
  seed: number;
  /** Share of faultable responses that get a fault, 0..1. Changeable later with setRate. */
  rate: number;
  kinds?: readonly FaultKind[];
  /** Pause of a `stall` or a `delay`, in ms (default 1500). */
  stallMs?: number;
  /** Which paths may be faulted (default: .js/.mjs, except /sw.js and /@modrelay/*); `copy`: the request carries the store header. */
  faultable?: (path: string, copy: boolean) => boolean;
}

export interface FaultStats {
  /** Requests seen, by path (query stripped); the worker's HTTP-cache copies are in `copies`. */
  requests: Map<string, number>;
  /** When each of those requests arrived (ms since the epoch), by path. */
  requestTimes: Map<string, number[]>;
  /** Every request's path and query, in order (copies included). */
  urls: string[];
  /** Copy requests (with the HTTP-cache store header) seen, by path. */
  copies: Map<string, number>;
  faults: Record<FaultKind, number>;
  /** Paths that got a fault, in order, e.g. "truncate /src/math/Vector3.js". */
  log: string[];
  /** The same for copy requests. */
  copyLog: string[];
}

export interface FaultProxy {
  url: string;
  origin: string;
  port: number;
  stats: FaultStats;
  setRate(rate: number): void;
  setTarget(target: string): void;
  resetStats(): void;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'transfer-encoding', 'content-length', 'proxy-connection', 'upgrade', 'te', 'trailer',
]);

export function isModulePath(path: string): boolean {
  return /\.m?js$/.test(path) && path !== '/sw.js' && !path.startsWith('/@modrelay/');
}

function emptyStats(): FaultStats {
  return { requests: new Map(), requestTimes: new Map(), urls: [], copies: new Map(), faults: { truncate: 0, chunked: 0, reset: 0, stall: 0, delay: 0 }, log: [], copyLog: [] };
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  let target = new URL(options.target ?? 'http://127.0.0.1:9/');
  const kinds = options.kinds ?? FAULT_KINDS;
  const stallMs = options.stallMs ?? 1500;
  const faultable = options.faultable ?? isModulePath;
  let rate = options.rate;
  let stats = emptyStats();
  const timers = new Set<NodeJS.Timeout>();

  // Per-path request counts for the decision; unlike `stats` they survive resetStats, so
  // successive loads meet different faults.
  const seen = new Map<string, number>();

  function decide(url: string, copy: boolean): FaultKind | null {
    const path = url.split('?')[0] ?? '/';
    stats.urls.push(url);
    const counts = copy ? stats.copies : stats.requests;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    if (!copy) {
      const times = stats.requestTimes.get(path) ?? [];
      times.push(Date.now());
      stats.requestTimes.set(path, times);
    }
    const n = seen.get(path) ?? 0;
    seen.set(path, n + 1);
    if (!faultable(path, copy)) return null;
    const random = mulberry32(options.seed ^ hash32(`${path}#${n}`));
    return random() < rate ? pick(random, kinds) : null;
  }

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const copy = req.headers[STORE_HEADER] !== undefined;
    const log = copy ? stats.copyLog : stats.log;
    const fault = decide(req.url ?? '/', copy);
    if (fault === 'reset') {
      stats.faults.reset++;
      log.push(`reset ${path}`);
      req.socket.resetAndDestroy();
      return;
    }
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (up) => {
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          const body = Buffer.concat(chunks);
          const headers: http.OutgoingHttpHeaders = {};
          for (const [k, v] of Object.entries(up.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
          const status = up.statusCode ?? 502;
          const send = () => {
            res.writeHead(status, { ...headers, 'content-length': body.length });
            res.end(body);
          };
          if (fault === 'delay') {
            stats.faults.delay++;
            log.push(`delay ${path}`);
            const timer = setTimeout(() => {
              timers.delete(timer);
              send();
            }, stallMs);
            timers.add(timer);
            return;
          }
          if (!fault || status !== 200 || body.length < 2) {
            send();
            return;
          }
          stats.faults[fault]++;
          log.push(`${fault} ${path}`);
          const half = body.subarray(0, Math.floor(body.length / 2));
          if (fault === 'truncate') {
            res.writeHead(status, { ...headers, 'content-length': body.length });
            res.write(half, () => res.socket?.destroy());
          } else if (fault === 'chunked') {
            res.writeHead(status, { ...headers, 'transfer-encoding': 'chunked' });
            res.write(half, () => res.socket?.destroy());
          } else {
            res.writeHead(status, { ...headers, 'content-length': body.length });
            res.write(half);
            const timer = setTimeout(() => {
              timers.delete(timer);
              res.end(body.subarray(half.length));
            }, stallMs);
            timers.add(timer);
          }
        });
        up.on('error', () => res.destroy());
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.pipe(upstream);
  });
  const listening = await listenLoopback(server);
  return {
    url: listening.url,
    origin: listening.origin,
    port: listening.port,
    get stats() {
      return stats;
    },
    setRate(next) {
      rate = next;
    },
    setTarget(next) {
      target = new URL(next);
    },
    resetStats() {
      stats = emptyStats();
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      await listening.close();
    },
  };
}
