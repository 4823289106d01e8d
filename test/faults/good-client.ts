import WebSocket from 'ws';
import { decodeModuleFrame } from '../../protocol/frame-codec.js';
import { sha256 } from '../support/sha256.js';

/**
 * A well-behaved client that keeps fetching real modules while something else attacks the
 * relay: each request must come back as the right body (sha-256 checked) within the bound.
 */
export interface GoodClientReport {
  requests: number;
  ok: number;
  failures: string[];
}

export async function runGoodClient(
  url: string,
  modules: Map<string, string>,
  shouldStop: () => boolean,
  options: { concurrency?: number; timeoutMs?: number; maxRequests?: number } = {},
): Promise<GoodClientReport> {
  const report: GoodClientReport = { requests: 0, ok: 0, failures: [] };
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const pending = new Map<number, { path: string; resolve: () => void; timer: NodeJS.Timeout }>();
  ws.on('message', (data: Buffer, isBinary) => {
    if (isBinary) {
      const frame = decodeModuleFrame(data);
      const entry = frame?.header.id === undefined ? undefined : pending.get(frame.header.id);
      if (!frame || !entry) return; // pushes are not used here
      const got = sha256(frame.body);
      if (got === modules.get(entry.path) && frame.header.hash === got && frame.header.path === entry.path) report.ok++;
      else report.failures.push(`${entry.path}: wrong body`);
      pending.delete(frame.header.id!);
      clearTimeout(entry.timer);
      entry.resolve();
      return;
    }
    const msg = JSON.parse(data.toString()) as { type: string; id?: number; code?: string; message?: string };
    if (msg.type === 'module:error' && msg.id !== undefined && pending.has(msg.id)) {
      const entry = pending.get(msg.id)!;
      report.failures.push(`${entry.path}: ${msg.code} ${msg.message}`);
      pending.delete(msg.id);
      clearTimeout(entry.timer);
      entry.resolve();
    }
  });
  ws.on('close', (code) => {
    if (!shouldStop()) report.failures.push(`socket closed (${code}) while fetching`);
    for (const [, entry] of pending) entry.resolve();
  });
  const paths = [...modules.keys()];
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxRequests = options.maxRequests ?? 1_000_000;
  let id = 1;
  const worker = async () => {
    while (!shouldStop() && ws.readyState === WebSocket.OPEN && report.requests < maxRequests) {
      const requestId = id++;
      const path = paths[requestId % paths.length]!;
      report.requests++;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          report.failures.push(`${path}: no answer within ${timeoutMs} ms`);
          pending.delete(requestId);
          resolve();
        }, timeoutMs);
        pending.set(requestId, { path, resolve, timer });
        ws.send(JSON.stringify({ type: 'module:request', id: requestId, path }));
      });
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  ws.close();
  return report;
}
