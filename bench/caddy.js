// @ts-check
/**
 * Caddy from Debian's package as the reverse proxy in front of the servers, with
 * compression on as in the original aesthetic.computer setup (seed/).
 */
import { execFile, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

const CADDY = process.env.MODRELAY_CADDY || 'caddy';
const READY_TIMEOUT_MS = 10_000;

/** Caddy's version string, or null when it is not installed. */
export function caddyVersion() {
  return new Promise((resolve) => {
    execFile(CADDY, ['version'], { timeout: 5000 }, (error, stdout) => resolve(error ? null : stdout.trim()));
  });
}

/**
 * A free loopback port for Caddy, which needs its ports written in the Caddyfile before it
 * starts. Chosen below Linux's ephemeral range (32768–60999): servers that listen on port 0
 * meanwhile get ports from that range, so none of them can take this one before Caddy does.
 */
export async function freePort() {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port for Caddy in 20000–31999');
}

/** @param {number} port */
function answers(port) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: 1000 }, (res) => { res.resume(); resolve(true); });
    req.on('error', () => resolve(false));
    req.on('timeout', () => { req.destroy(); resolve(false); });
  });
}

/**
 * Starts one Caddy process: each site on its `port` either proxies to its `upstream` (a
 * loopback URL) or serves the folder `root` (Caddy's file_server); `directives` are
 * Caddyfile lines added to that site (the docs' HTTP-cache store lines).
 * @param {string} dir  temporary folder for the Caddyfile and Caddy's own state
 * @param {(({ port: number, upstream: string } | { port: number, root: string }) & { directives?: string })[]} sites
 */
export async function startCaddy(dir, sites) {
  const blocks = sites.map((site) => `http://127.0.0.1:${site.port} {
	bind 127.0.0.1
	encode zstd gzip
	${site.directives ? `${site.directives.trim().split('\n').join('\n\t')}\n\t` : ''}${'root' in site ? `root * ${site.root}\n\tfile_server` : `reverse_proxy ${new URL(site.upstream).host}`}
}`);
  const caddyfile = path.join(dir, 'Caddyfile');
  await writeFile(caddyfile, `{
	admin off
	auto_https off
}

${blocks.join('\n\n')}
`);
  // Caddy keeps state under $HOME / XDG folders: point them into the temp folder.
  const env = { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir };
  const child = spawn(CADDY, ['run', '--config', caddyfile, '--adapter', 'caddyfile'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (chunk) => { log = (log + chunk).slice(-4000); });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (const { port } of sites) {
    while (!(await answers(port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await close();
        throw new Error(`caddy did not start: ${log}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { close };
}
