// @ts-check
/**
 * Relay under load: a relay process and a load-generator process (load-client.js),
 * so neither's CPU or memory is counted as the other's. Peak RSS is the relay's VmHWM.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';

const node = process.execPath;
const here = (/** @type {string} */ f) => new URL(f, import.meta.url).pathname;

/** @param {number} pid  @returns {Promise<Record<string, number>>} kB values from /proc */
async function memoryOf(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  /** @type {Record<string, number>} */
  const out = {};
  for (const key of ['VmHWM', 'VmRSS']) {
    const m = status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'));
    if (m) out[key] = Number(m[1]);
  }
  return out;
}

/**
 * First stdout line of a child, parsed as JSON, within `timeoutMs`.
 * @param {import('node:child_process').ChildProcess} child
 * @param {number} timeoutMs
 */
function firstJsonLine(child, timeoutMs) {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (c) => { stderr = (stderr + c).slice(-2000); });
    const lines = createInterface({ input: /** @type {import('node:stream').Readable} */ (child.stdout) });
    const timer = setTimeout(() => reject(new Error(`no output within ${timeoutMs} ms ${stderr}`)), timeoutMs);
    lines.once('line', (line) => {
      clearTimeout(timer);
      try { resolve(JSON.parse(line)); } catch { reject(new Error(`bad output: ${line} ${stderr}`)); }
    });
    // 'close', not 'exit': stdout may still hold the line when the process exits.
    child.once('close', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}: ${stderr}`)); });
  });
}

/**
 * @param {{ root: string, entryUrl: string, clients: number, timeoutMs: number }} options
 */
export async function runLoad({ root, entryUrl, clients, timeoutMs }) {
  const relay = spawn(node, [here('./relay-process.js'), root], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const { url } = /** @type {{ url: string }} */ (await firstJsonLine(relay, 15_000));
    const idle = await memoryOf(/** @type {number} */ (relay.pid));
    const gen = spawn(node, [here('./load-client.js'), url, root, entryUrl, String(clients), String(timeoutMs)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const result = /** @type {Record<string, unknown>} */ (await firstJsonLine(gen, timeoutMs + 15_000));
    const peak = await memoryOf(/** @type {number} */ (relay.pid));
    return { ...result, relayIdleRssMB: (idle.VmRSS ?? NaN) / 1024, relayPeakRssMB: (peak.VmHWM ?? NaN) / 1024 };
  } finally {
    if (relay.exitCode === null) {
      const exited = new Promise((r) => relay.once('exit', r));
      relay.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (relay.exitCode === null && relay.signalCode === null) relay.kill('SIGKILL');
    }
  }
}
