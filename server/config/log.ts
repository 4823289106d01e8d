import pc from 'picocolors';

/**
 * Where the relay and `serve` say what they do: one line per announced change, per client
 * connecting or leaving, per refused upgrade (with the flag that fixes it). The Node API is
 * silent unless given one; the CLI prints to the terminal (colours only on a TTY: picocolors
 * checks, and honours NO_COLOR / FORCE_COLOR).
 */
export interface Log {
  info(line: string): void;
  warn(line: string): void;
  /** Only with --verbose. */
  debug(line: string): void;
}

export const SILENT: Log = { info() {}, warn() {}, debug() {} };

export type Verbosity = 'quiet' | 'normal' | 'verbose';

export function terminalLog(verbosity: Verbosity): Log {
  const time = () => pc.dim(new Date().toTimeString().slice(0, 8));
  const tag = pc.cyan('[modrelay]');
  return {
    info: (line) => { if (verbosity !== 'quiet') console.log(`${time()} ${tag} ${line}`); },
    warn: (line) => console.warn(`${time()} ${tag} ${pc.yellow(line)}`),
    debug: (line) => { if (verbosity === 'verbose') console.log(`${time()} ${tag} ${pc.dim(line)}`); },
  };
}
