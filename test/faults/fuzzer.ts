import WebSocket from 'ws';
import { decodeModuleFrame } from '../../protocol/frame-codec.js';
import { intBetween, mulberry32, pick, type Random } from './prng.js';
import { sha256 } from '../support/sha256.js';

/**
 * A seeded, bounded fuzzer for the relay's socket. It sends frames in small batches and
 * waits (bounded) for one reply per frame — a `module:error` or an answer carrying the
 * frame's id — so a frame the relay ignores or chokes on is counted, not guessed. Frames
 * that may legitimately end the connection (oversized, invalid UTF-8) go alone and expect a
 * policy close; the fuzzer then reconnects.
 */
export type Category =
  | 'malformed-json' | 'unknown-type' | 'wrong-fields' | 'deep-json' | 'binary-junk'
  | 'fragmented' | 'path-attack' | 'valid' | 'burst' | 'huge' | 'invalid-utf8';

interface Frame {
  category: Category;
  /** Text or bytes, sent as one message, or split into `fragments` pieces. */
  data: string | Buffer;
  binary: boolean;
  fragments: number;
  /** Replies expected (a burst is several requests in one batch entry). */
  replies: number;
  /** Ids of path-attack requests: any body answering one is a leak. */
  attackIds: number[];
}

export interface FuzzOptions {
  url: string;
  seed: number;
  frames: number;
  /** How many oversized frames among them (each > maxPayload). */
  huge: number;
  maxPayload: number;
  /** Paths that must each be refused. */
  attacks: string[];
  /** Real modules: path → sha-256. */
  modules: Map<string, string>;
  /** A string no reply may ever contain. */
  secret: string;
  /** Wait for a batch's replies at most this long. */
  batchTimeoutMs?: number;
}

export interface FuzzReport {
  sent: number;
  byCategory: Record<string, number>;
  replies: number;
  errorsByCode: Record<string, number>;
  /** Close codes seen, by code. */
  closes: Record<string, number>;
  /** Expected-to-close frames that did not close, unexpected closes, missing replies, leaks. */
  problems: string[];
  reconnects: number;
}

const TYPES = ['module:request', 'module:check', 'manifest:check', 'module:response', 'hello', 'module:updated', 'x', '', 'MODULE:REQUEST', '__proto__', 'constructor'];
const JUNK_VALUES: unknown[] = [null, true, false, 0, -1, 1.5, 2 ** 53, -0, '', 'x', [], {}, [1, 2], { a: 1 }, '1', 'NaN', 1e308];

function randomText(random: Random, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += String.fromCharCode(intBetween(random, 0, 0xd7ff));
  return s;
}

function randomBytes(random: Random, length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = Math.floor(random() * 256);
  return b;
}

function request(id: number, path: string, extra: object = {}): string {
  return JSON.stringify({ type: 'module:request', id, path, ...extra });
}

export function makeFrame(random: Random, category: Category, nextId: () => number, o: FuzzOptions): Frame {
  const paths = [...o.modules.keys()];
  const frame = (data: string | Buffer, extra: Partial<Frame> = {}): Frame => ({
    category, data, binary: false, fragments: 1, replies: 1, attackIds: [], ...extra,
  });
  switch (category) {
    case 'malformed-json': {
      const valid = request(nextId(), pick(random, paths));
      return frame(pick(random, [
        valid.slice(0, intBetween(random, 0, valid.length - 1)),
        randomText(random, intBetween(random, 1, 200)),
        '{', '}', '[', 'null', '[]', '"module:request"', '42', 'true', '{"type":}', "{'type':'module:request'}",
        `${valid}${valid}`, `${valid} trailing`, '\ufeff{"type":"module:request","id":1,"path":"/lib/m0.mjs"}',
      ]));
    }
    case 'unknown-type':
      return frame(JSON.stringify({ type: pick(random, TYPES.slice(3)), id: nextId(), path: pick(random, paths) }));
    case 'wrong-fields': {
      const junk = () => pick(random, JUNK_VALUES);
      const type = pick(random, TYPES.slice(0, 3));
      const base: Record<string, unknown> = { type, id: nextId(), path: pick(random, paths), hash: 'a'.repeat(64), entries: {} };
      const field = pick(random, ['id', 'path', 'deps', 'have', 'hash', 'entries', 'type', 'proto']);
      if (field !== 'proto') base[field] = junk();
      if (random() < 0.2) delete base[pick(random, ['id', 'path', 'hash', 'entries'])];
      const text = JSON.stringify(base);
      // A literal "__proto__" key: JSON.parse makes it an own property; a careless merge would pollute.
      return frame(field === 'proto' ? text.replace('{', '{"__proto__":{"polluted":true},') : text);
    }
    case 'deep-json': {
      const depth = intBetween(random, 1_000, 200_000);
      return frame(random() < 0.5 ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth));
    }
    case 'binary-junk':
      return frame(randomBytes(random, intBetween(random, 0, 4096)), { binary: true });
    case 'fragmented': {
      const text = random() < 0.7 ? request(nextId(), pick(random, paths)) : randomText(random, 300);
      return frame(text, { fragments: intBetween(random, 2, 8) });
    }
    case 'path-attack': {
      const id = nextId();
      return frame(request(id, pick(random, o.attacks), random() < 0.3 ? { deps: true } : {}), { attackIds: [id] });
    }
    case 'valid': {
      const kind = intBetween(random, 0, 2);
      const path = pick(random, paths);
      if (kind === 0) return frame(request(nextId(), path, random() < 0.3 ? { deps: true, have: Object.fromEntries(o.modules) } : {}));
      if (kind === 1) return frame(JSON.stringify({ type: 'module:check', id: nextId(), path, hash: o.modules.get(path) }));
      return frame(JSON.stringify({ type: 'manifest:check', id: nextId(), entries: Object.fromEntries(o.modules) }));
    }
    case 'burst': {
      // More requests than maxInFlight (64) at once: the overflow must get `too-many-requests`.
      const n = intBetween(random, 65, 200);
      const lines = Array.from({ length: n }, () => request(nextId(), pick(random, paths)));
      return frame(JSON.stringify(lines), { replies: n, fragments: 0 });
    }
    case 'huge':
      return frame(Buffer.alloc(o.maxPayload + intBetween(random, 1, 1024 * 1024), 0x61), { replies: 0 });
    case 'invalid-utf8':
      return frame(Buffer.from([0x7b, 0xff, 0xfe, 0xc0, 0xaf, 0x7d]), { replies: 0 });
  }
}

const WEIGHTS: [Category, number][] = [
  ['malformed-json', 14], ['unknown-type', 10], ['wrong-fields', 20], ['deep-json', 1], ['binary-junk', 8],
  ['fragmented', 10], ['path-attack', 25], ['valid', 10], ['burst', 1], ['invalid-utf8', 1],
];

function pickCategory(random: Random): Category {
  const total = WEIGHTS.reduce((s, [, w]) => s + w, 0);
  let r = random() * total;
  for (const [c, w] of WEIGHTS) if ((r -= w) < 0) return c;
  return 'valid';
}

/** One socket to the relay that counts replies and remembers how it closed. */
class Link {
  readonly ws: WebSocket;
  replies = 0;
  closeCode: number | null = null;
  readonly opened: Promise<void>;
  private waiters: (() => void)[] = [];

  constructor(url: string, private report: FuzzReport, private o: FuzzOptions, private attackIds: Set<number>) {
    this.ws = new WebSocket(url, { maxPayload: 64 * 1024 * 1024 });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.ws.on('error', () => {});
    this.ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    this.ws.on('close', (code) => {
      this.closeCode = code;
      this.wake();
    });
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (data.includes(this.o.secret)) this.report.problems.push(`a reply contained the secret: ${data.subarray(0, 200).toString()}`);
    if (isBinary) {
      const frame = decodeModuleFrame(data);
      if (!frame) return void this.report.problems.push('relay sent an undecodable binary frame');
      if (frame.header.id !== undefined) {
        if (this.attackIds.has(frame.header.id)) this.report.problems.push(`attack request ${frame.header.id} got a body for ${frame.header.path}`);
        this.count();
      }
      const want = this.o.modules.get(frame.header.path);
      const got = sha256(frame.body);
      if (want !== got || frame.header.hash !== got) this.report.problems.push(`body of ${frame.header.path} has the wrong hash`);
      return;
    }
    const msg = JSON.parse(data.toString()) as { type: string; id?: number; code?: string };
    if (msg.type === 'hello' || msg.type === 'module:updated' || msg.type === 'module:removed') return;
    if (msg.type === 'module:error') {
      this.report.errorsByCode[msg.code ?? '?'] = (this.report.errorsByCode[msg.code ?? '?'] ?? 0) + 1;
    }
    this.count();
  }

  private count(): void {
    this.replies++;
    this.report.replies++;
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when `target` replies arrived or the socket closed, or after `ms`. */
  async until(target: number, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.replies < target && this.closeCode === null && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  send(frame: Frame): void {
    if (frame.category === 'burst') {
      for (const line of JSON.parse(frame.data as string) as string[]) this.ws.send(line);
      return;
    }
    if (frame.fragments <= 1) return void this.ws.send(frame.data, { binary: frame.binary });
    const data = Buffer.from(frame.data);
    const step = Math.ceil(data.length / frame.fragments);
    for (let i = 0; i < frame.fragments; i++) {
      const piece = data.subarray(i * step, (i + 1) * step);
      this.ws.send(piece, { binary: frame.binary, fin: i === frame.fragments - 1 });
    }
  }
}

const POLICY_CLOSES = new Set([1003, 1007, 1008, 1009]);

export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const random = mulberry32(o.seed);
  const report: FuzzReport = { sent: 0, byCategory: {}, replies: 0, errorsByCode: {}, closes: {}, problems: [], reconnects: 0 };
  const attackIds = new Set<number>();
  const timeout = o.batchTimeoutMs ?? 10_000;
  let id = 1;
  const nextId = () => id++;

  // The schedule: every attack path once, then random categories; oversized frames spread evenly.
  const plan: Category[] = o.attacks.map(() => 'path-attack');
  while (plan.length < o.frames - o.huge) plan.push(pickCategory(random));
  for (let i = 0; i < o.huge; i++) plan.splice(Math.floor(((i + 1) * plan.length) / (o.huge + 1)), 0, 'huge');
  let attackIndex = 0;

  let link = new Link(o.url, report, o, attackIds);
  await link.opened;
  const reconnect = async () => {
    link.ws.terminate();
    report.reconnects++;
    link = new Link(o.url, report, o, attackIds);
    await link.opened;
  };

  let i = 0;
  while (i < plan.length) {
    // A closing-capable frame goes alone; others in batches of up to 32.
    const lone = plan[i] === 'huge' || plan[i] === 'invalid-utf8';
    const batch: Frame[] = [];
    while (i < plan.length && batch.length < (lone ? 1 : 32)) {
      const category = plan[i]!;
      if (!lone && (category === 'huge' || category === 'invalid-utf8')) break;
      let frame = makeFrame(random, category, nextId, o);
      if (category === 'path-attack' && attackIndex < o.attacks.length) {
        const fid = nextId();
        frame = { ...frame, data: request(fid, o.attacks[attackIndex++]!), attackIds: [fid] };
      }
      for (const a of frame.attackIds) attackIds.add(a);
      batch.push(frame);
      i++;
    }
    const before = link.replies;
    const want = before + batch.reduce((s, f) => s + f.replies, 0);
    for (const frame of batch) {
      link.send(frame);
      report.sent += frame.category === 'burst' ? frame.replies : 1;
      report.byCategory[frame.category] = (report.byCategory[frame.category] ?? 0) + (frame.category === 'burst' ? frame.replies : 1);
    }
    if (lone) {
      await link.until(Number.POSITIVE_INFINITY, timeout);
      const code = link.closeCode;
      report.closes[String(code)] = (report.closes[String(code)] ?? 0) + 1;
      if (code === null || !POLICY_CLOSES.has(code)) report.problems.push(`${batch[0]!.category} frame: expected a policy close, got ${code ?? 'no close'}`);
      await reconnect();
      continue;
    }
    await link.until(want, timeout);
    if (link.closeCode !== null) {
      report.closes[String(link.closeCode)] = (report.closes[String(link.closeCode)] ?? 0) + 1;
      report.problems.push(`unexpected close ${link.closeCode} in a batch of ${batch.map((f) => f.category).join(',')}`);
      await reconnect();
    } else if (link.replies < want) {
      report.problems.push(`${want - link.replies} of ${want - before} frames unanswered after ${timeout} ms (batch: ${[...new Set(batch.map((f) => f.category))].join(',')})`);
    }
  }
  link.ws.close();
  return report;
}
