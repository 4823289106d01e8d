// @ts-check
/**
 * Load generator for the relay, in its own process (never the relay's). N `ws` clients
 * connect, wait at a common start line, then each fetches the whole graph the way the
 * Service Worker does on a cold load: `module:request` with deps:true for the entry, then
 * a request for anything the push left out. Every body's sha-256 is checked against the
 * frame header and against the file on disk.
 *
 * Usage: node bench/load-client.js <ws url> <root> <entry path> <clients> <timeout ms>
 * Prints one JSON line with the result.
 */
import { createHash } from 'node:crypto';
import { WebSocket } from 'ws';
import { decodeModuleFrame } from '../dist/protocol/frame-codec.js';
import { importClosure } from './graphs.js';
import { percentile } from './stats.js';

const [url = '', root = '', entry = '', clientsArg, timeoutArg] = process.argv.slice(2);
if (!url || !root || !entry) {
  console.error('usage: load-client.js <ws url> <root> <entry path> <clients> <timeout ms>');
  process.exit(2);
}
const CLIENTS = Number(clientsArg ?? 50);
const TIMEOUT_MS = Number(timeoutArg ?? 60_000);
/** Requests one client keeps in flight when filling gaps (the relay allows 64). */
const GAP_CONCURRENCY = 16;

const expected = await importClosure(root, entry);

/** @type {number[]} */ const requestMs = [];
/** @type {number[]} */ const graphMs = [];
/** @type {string[]} */ const errors = [];
let modules = 0;
let bytes = 0;
let pushedComplete = 0;
let gapRequests = 0;

/**
 * One client's whole graph: `opened` settles once its socket is open (or failed),
 * `done` once it holds the graph (or gave up).
 * @param {Promise<void>} startLine
 */
function client(startLine) {
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  const opened = new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  // A failed connect is counted once, from `opened`; `done` then just settles.
  return { opened, done: opened.then(() => fetchGraph(ws, startLine), () => undefined) };
}

/**
 * @param {WebSocket} ws
 * @param {Promise<void>} startLine
 */
async function fetchGraph(ws, startLine) {
  /** @type {Map<string, string>} path → verified hash */
  const received = new Map();
  /** @type {Map<number, { sent: number, done: (header: any) => void }>} */
  const waiting = new Map();
  /** @type {string[] | null} */
  let push = null;
  let pushDone = () => {};
  let failed = /** @type {string | null} */ (null);
  const fail = (/** @type {string} */ why) => {
    failed ??= why;
    for (const w of waiting.values()) w.done(null);
    pushDone();
  };
  const pushSettled = () => push !== null && push.every((p) => received.has(p));

  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      const msg = JSON.parse(data.toString());
      if (msg.type === 'module:error') {
        errors.push(`module:error ${msg.code} ${msg.path ?? ''}`);
        const w = waiting.get(msg.id);
        if (w) { waiting.delete(msg.id); w.done(null); }
      }
      return;
    }
    const frame = decodeModuleFrame(/** @type {Buffer} */ (data));
    if (!frame) { errors.push('malformed module frame'); return; }
    const { header, body } = frame;
    const actual = createHash('sha256').update(body).digest('hex');
    const onDisk = expected.get(header.path);
    if (actual !== header.hash) errors.push(`hash mismatch (header) ${header.path}`);
    else if (onDisk && onDisk.hash !== actual) errors.push(`hash mismatch (disk) ${header.path}`);
    else {
      received.set(header.path, actual);
      modules++;
      bytes += body.byteLength;
    }
    if (header.push) push = header.push;
    if (header.id !== undefined) {
      const w = waiting.get(header.id);
      if (w) { waiting.delete(header.id); requestMs.push(performance.now() - w.sent); w.done(header); }
    }
    if (pushSettled()) pushDone();
  });
  ws.on('close', () => fail('socket closed early'));
  ws.on('error', (e) => fail(`socket error: ${e.message}`));

  await startLine;
  const started = performance.now();
  let nextId = 1;
  /** @param {string} path @param {boolean} deps */
  const request = (path, deps) => new Promise((resolve) => {
    const id = nextId++;
    waiting.set(id, { sent: performance.now(), done: resolve });
    ws.send(JSON.stringify({ type: 'module:request', id, path, ...(deps ? { deps: true } : {}) }));
  });

  const first = await request(entry, true);
  if (first && push) {
    // A push that stalls is not waited for past half the budget: the gap requests
    // below then ask for what is missing, and the count shows the push fell short.
    const pushed = new Promise((resolve) => {
      pushDone = () => resolve(undefined);
      setTimeout(resolve, TIMEOUT_MS / 2).unref();
    });
    if (!pushSettled()) await pushed;
  }
  if (!failed && push && pushSettled()) pushedComplete++;
  // Whatever the push did not bring: ask for it, a few at a time.
  const missing = [...expected.keys()].filter((p) => !received.has(p));
  gapRequests += missing.length;
  for (let i = 0; i < missing.length && !failed; i += GAP_CONCURRENCY) {
    await Promise.all(missing.slice(i, i + GAP_CONCURRENCY).map((p) => request(p, false)));
  }
  const stillMissing = [...expected.keys()].filter((p) => !received.has(p)).length;
  if (failed) errors.push(failed);
  else if (stillMissing > 0) errors.push(`${stillMissing} modules never arrived`);
  graphMs.push(performance.now() - started);
  ws.removeAllListeners('close');
  ws.close();
}

let openStart = () => {};
const startLine = new Promise((resolve) => { openStart = () => resolve(undefined); });
let wallStart = performance.now();
const timer = setTimeout(() => {
  errors.push(`timed out after ${TIMEOUT_MS} ms`);
  report();
  process.exit(0);
}, TIMEOUT_MS);
const clients = Array.from({ length: CLIENTS }, () => client(startLine));
// Everybody connects first, then all start at once.
const opens = await Promise.allSettled(clients.map((c) => c.opened));
for (const o of opens) if (o.status === 'rejected') errors.push(`connect failed: ${o.reason?.message ?? o.reason}`);
wallStart = performance.now();
openStart();
await Promise.all(clients.map((c) => c.done.catch((/** @type {any} */ e) => { errors.push(String(e?.message ?? e)); })));
clearTimeout(timer);
report();

function report() {
  const wallMs = performance.now() - wallStart;
  process.stdout.write(`${JSON.stringify({
    clients: CLIENTS,
    graphModules: expected.size,
    modules,
    bytes,
    wallMs,
    modulesPerSec: modules / (wallMs / 1000),
    mbPerSec: bytes / 1e6 / (wallMs / 1000),
    requestP50Ms: percentile(requestMs, 50),
    requestP95Ms: percentile(requestMs, 95),
    graphP50Ms: percentile(graphMs, 50),
    graphP95Ms: percentile(graphMs, 95),
    pushedComplete,
    gapRequests,
    errorCount: errors.length,
    errors: errors.slice(0, 10),
  })}\n`);
}
