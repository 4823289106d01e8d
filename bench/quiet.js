// @ts-check
/**
 * Whether another process held the CPU while a sample was taken. A server-bound baseline (Vite,
 * plain HTTP with 304s) slows far more on a busy machine than the browser's own cache does, so
 * samples taken while something else ran inflate every "× faster than" ratio.
 *
 * "Foreign" CPU = the machine's busy time (/proc/stat: user, nice, system, steal) minus the CPU
 * time of this process and every process it started (the browser, the servers, Caddy: their
 * utime + stime, and cutime + cstime for children they already reaped), over a window, in cores.
 * Interrupt time is left out: loopback traffic is the bench's own. Linux only; elsewhere every
 * reading is null and nothing waits.
 */
import { readFile, readdir } from 'node:fs/promises';
import os from 'node:os';

/** Above this many cores of foreign CPU over a window, the machine is not quiet. */
export const BUSY_CORES = 0.2;
/** How long each look at the machine lasts before a sample. */
const LOOK_MS = 300;
/** A sample waits at most this long for the machine to be quiet, then is taken and marked. */
const MAX_WAIT_MS = 20_000;

/** @returns {Promise<number | null>} busy jiffies of the whole machine */
async function machineBusy() {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
    const [, user, nice, system, , , , , steal] = line.trim().split(/\s+/).map(Number);
    return (user ?? 0) + (nice ?? 0) + (system ?? 0) + (steal ?? 0);
  } catch {
    return null;
  }
}

/** @returns {Promise<number | null>} jiffies used by this process and its descendants */
async function ownBusy() {
  /** @type {Map<number, { ppid: number, jiffies: number }>} */
  const procs = new Map();
  let names;
  try {
    names = await readdir('/proc');
  } catch {
    return null;
  }
  await Promise.all(names.filter((n) => /^\d+$/.test(n)).map(async (name) => {
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces: fields start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const [ppid, utime, stime, cutime, cstime] = [fields[1], fields[11], fields[12], fields[13], fields[14]].map(Number);
      procs.set(Number(name), { ppid: ppid ?? 0, jiffies: (utime ?? 0) + (stime ?? 0) + (cutime ?? 0) + (cstime ?? 0) });
    } catch {
      // gone meanwhile
    }
  }));
  /** @type {Map<number, number[]>} */
  const children = new Map();
  for (const [pid, { ppid }] of procs) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  let total = 0;
  const stack = [process.pid];
  while (stack.length > 0) {
    const pid = /** @type {number} */ (stack.pop());
    total += procs.get(pid)?.jiffies ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

/** Jiffies per second (USER_HZ): 100 on every Linux this runs on. */
const HZ = 100;

/**
 * Starts a window; `end()` gives the foreign CPU over it in cores (null when unknown).
 * @returns {Promise<{ end(): Promise<number | null> }>}
 */
export async function cpuWindow() {
  const [machine, own, at] = [await machineBusy(), await ownBusy(), performance.now()];
  return {
    async end() {
      const [machine2, own2] = [await machineBusy(), await ownBusy()];
      const seconds = (performance.now() - at) / 1000;
      if (machine === null || own === null || machine2 === null || own2 === null || seconds <= 0) return null;
      return Math.max(0, (machine2 - machine - (own2 - own)) / HZ / seconds);
    },
  };
}

/**
 * Waits (bounded) until a look of LOOK_MS sees no foreign CPU above BUSY_CORES.
 * @returns {Promise<{ waitedMs: number, foreignCores: number | null }>}
 */
export async function waitQuiet() {
  const started = performance.now();
  for (;;) {
    const window = await cpuWindow();
    await new Promise((resolve) => setTimeout(resolve, LOOK_MS));
    const foreignCores = await window.end();
    const waitedMs = Math.round(performance.now() - started);
    if (foreignCores === null || foreignCores <= BUSY_CORES || waitedMs >= MAX_WAIT_MS) return { waitedMs, foreignCores };
  }
}

/** The 1-minute load average, rounded. */
export function loadAverage() {
  return Math.round((os.loadavg()[0] ?? 0) * 100) / 100;
}
