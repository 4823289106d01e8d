import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Runs `node …args` in `cwd` (a doc's server or command, as a user would) and resolves with it
 * and its output once the output matches `ready`; rejects when it exits first or is not ready
 * in 20 s. `started` gets the child at once, so a test can kill it whatever happens.
 */
export function startNode(args: string[], cwd: string, ready: RegExp, started: ChildProcess[]): Promise<{ child: ChildProcess; output: string }> {
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready: ${output}`)), 20_000);
    const on = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) { clearTimeout(timer); resolve({ child, output }); }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}: ${output}`)); });
  });
}
