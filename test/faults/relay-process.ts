import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The relay as users run it, `node bin/modrelay.js relay <root>`, in a child process: so a
 * test can SIGKILL it, restart it on the same port, and read its memory from /proc.
 */
const BIN = fileURLToPath(new URL('../../bin/modrelay.js', import.meta.url));

export interface RelayProcess {
  /** The relay's ws:// URL. */
  url: string;
  /** `serve` only: the HTTP URL. */
  httpUrl: string | null;
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

export interface ProcessOptions {
  /** Default 'relay'. `serve` listens on free ports for both HTTP and the relay. */
  command?: 'relay' | 'serve';
  /** Flags for Node itself, e.g. --max-old-space-size=256. */
  nodeArgs?: string[];
  /** Run as the unprivileged user `nobody` (when the tests run as root), e.g. so a chmod 000 file is unreadable. */
  asNobody?: boolean;
}

export async function startRelayProcess(root: string, args: string[] = [], timeoutMs = 15_000, options: ProcessOptions = {}): Promise<RelayProcess> {
  const { command = 'relay', nodeArgs = [], asNobody = false } = options;
  const ports = command === 'serve' ? ['--port', '0', '--relay-port', '0'] : ['--port', '0'];
  const argv = [...nodeArgs, BIN, command, root, ...ports, ...args];
  const drop = asNobody && process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
  const child = drop.length > 0
    ? spawn(drop[0]!, [...drop.slice(1), process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
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
    httpUrl: /http:\/\/127\.0\.0\.1:\d+\//.exec(out)?.[0] ?? null,
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
