// @ts-check
/**
 * Installs a Debian package the tests need when this machine lacks it, the way `playwright
 * install --with-deps` installs system packages: only as root with apt-get, non-interactively.
 * Otherwise it stops with the one line to run.
 */
import { execFileSync, spawnSync } from 'node:child_process';

/**
 * @param {string} name  the package (apt-get install <name>)
 * @param {string} why   what needs it, for the messages
 */
export function installDebianPackage(name, why) {
  const root = process.getuid?.() === 0;
  const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
  if (!root || !apt) throw new Error(`${name} is needed by ${why} and was not found: install it (Debian/Ubuntu: sudo apt-get install -y ${name})`);
  console.log(`modrelay tests: ${name} is needed by ${why}; installing Debian's (apt-get install -y ${name})…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', name], { stdio: 'inherit', env });
}

/** @param {string} command  true when `command` is on the PATH */
export function onPath(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).status === 0;
}
