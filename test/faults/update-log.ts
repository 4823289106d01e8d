import WebSocket from 'ws';

/**
 * A relay subscriber that keeps every `module:updated` / `module:removed` broadcast, and the
 * last word on each path, so a storm's end state can be compared with the disk.
 */
export type LastWord = { hash: string } | 'removed';

export class UpdateLog {
  readonly last = new Map<string, LastWord>();
  /** Broadcast messages received, and the entries in them. */
  messages = 0;
  entries = 0;
  lastAt = Date.now();
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) return;
      const msg = JSON.parse(data.toString()) as
        | { type: 'module:updated'; modules: { path: string; hash: string }[] }
        | { type: 'module:removed'; paths: string[] }
        | { type: string };
      if (msg.type === 'module:updated' && 'modules' in msg) {
        for (const m of msg.modules) this.last.set(m.path, { hash: m.hash });
        this.count(msg.modules.length);
      } else if (msg.type === 'module:removed' && 'paths' in msg) {
        for (const p of msg.paths) this.last.set(p, 'removed');
        this.count(msg.paths.length);
      }
    });
  }

  private count(entries: number): void {
    this.messages++;
    this.entries += entries;
    this.lastAt = Date.now();
  }

  static async open(url: string): Promise<UpdateLog> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('message', () => resolve()); // hello
      ws.once('error', reject);
    });
    return new UpdateLog(ws);
  }

  /** Counters since `mark()`. */
  mark(): { messages: number; entries: number } {
    return { messages: this.messages, entries: this.entries };
  }

  /** Waits until no broadcast came for `quietMs` (bounded by `maxMs`). */
  async quiet(quietMs = 1500, maxMs = 30_000): Promise<void> {
    const start = Date.now();
    this.lastAt = Math.max(this.lastAt, start);
    while (Date.now() - this.lastAt < quietMs && Date.now() - start < maxMs) {
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  close(): void {
    this.ws.close();
  }
}
