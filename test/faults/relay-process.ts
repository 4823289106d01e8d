import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The relay as users run it, `node bin/modrelay.js relay <root>`, in a child process: so a
 * test can SIGKILL it, restart it on the same port, and read its memory from /proc.
 */
const BIN = fileURLToPath(new URL('../../bin/modrelay.js', import.meta.url));

export interface RelayProcess {
  url: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** Everything the process wrote, for failure messages. */
  output(): string;
  /** Resident set size in bytes, from /proc/<pid>/status. */
  rss(): number;
  alive(): boolean;
  /** Resolves with the exit code or signal once the process is gone. */
  exited: Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<string>;
}

export async function startRelayProcess(root: string, args: string[] = [], timeoutMs = 15_000): Promise<RelayProcess> {
  const child = spawn(process.execPath, [BIN, 'relay', root, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let exitedWith: string | null = null;
  const exited = new Promise<string>((resolve) => {
    child.on('exit', (code, signal) => {
      exitedWith = signal ?? `code ${code}`;
      resolve(exitedWith);
    });
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay did not start within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /ws:\/\/127\.0\.0\.1:\d+\//.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`relay exited (${how}) before listening:\n${out}`));
    });
  });
  const pid = child.pid!;
  return {
    url,
    port: Number(new URL(url).port),
    pid,
    child,
    output: () => out,
    rss() {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    },
    alive: () => exitedWith === null,
    exited,
    async kill(signal = 'SIGTERM') {
      if (exitedWith === null) child.kill(signal);
      return exited;
    },
  };
}
