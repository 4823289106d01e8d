// @ts-check
/** The bench process's side of server-host.js: start it, call it, stop it. */
import { fork } from 'node:child_process';

const CALL_TIMEOUT_MS = 60_000;

export async function startServerHost() {
  const child = fork(new URL('./server-host.js', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  /** @type {Map<number, { resolve: (v: any) => void, reject: (e: Error) => void }>} */
  const pending = new Map();
  let nextId = 1;
  child.on('message', (/** @type {any} */ msg) => {
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new Error(msg.error));
  });
  child.on('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`server host exited (${code})`));
    pending.clear();
  });
  return {
    /**
     * @param {string} cmd
     * @param {Record<string, unknown>} [args]
     * @returns {Promise<any>}
     */
    call(cmd, args = {}) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`server host: ${cmd} timed out`));
        }, CALL_TIMEOUT_MS);
        pending.set(id, {
          resolve: (v) => { clearTimeout(timer); resolve(v); },
          reject: (e) => { clearTimeout(timer); reject(e); },
        });
        child.send({ id, cmd, ...args });
      });
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.disconnect();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
