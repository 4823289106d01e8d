// @ts-check
/**
 * The one browser launcher of the tests and the benchmark. Playwright cannot download a
 * browser on our machines, so both drive an installed Chromium, found in this order:
 * MODRELAY_CHROMIUM, Playwright's installed browsers, a system chromium / google-chrome.
 * When there is none, `ensureChromium` installs Debian's the way `playwright install
 * --with-deps` installs system packages (root with apt-get), or stops with the one line to
 * run. The flags keep a root, offline, headless Chromium quiet (no sandbox as root; no background
 * networking, component updates or sync, which this machine's closed network refuses). Plain
 * JavaScript, so `npm run bench` needs no compile step; the TypeScript tests import it as is.
 */
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { chromium } from 'playwright-core';
import { installDebianPackage } from './debian-package.js';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const SYSTEM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/** Chromium builds Playwright installed (`npx playwright install chromium`), newest first. */
function playwrightBrowsers() {
  const root = process.env.PLAYWRIGHT_BROWSERS_PATH || join(homedir(), '.cache', 'ms-playwright');
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((name) => name.startsWith('chromium-')).sort().reverse()
    .flatMap((name) => ['chrome-linux64/chrome', 'chrome-linux/chrome'].map((file) => join(root, name, file)));
}

function onPath() {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  return SYSTEM_NAMES.flatMap((name) => dirs.map((dir) => join(dir, name)));
}

/** @returns {string | null} the Chromium to drive, or null when there is none */
export function findChromium() {
  if (process.env.MODRELAY_CHROMIUM) return existsSync(process.env.MODRELAY_CHROMIUM) ? process.env.MODRELAY_CHROMIUM : null;
  return [...playwrightBrowsers(), ...onPath()].find((file) => existsSync(file)) ?? null;
}

const INSTALL_HINT = 'install one (Debian/Ubuntu: sudo apt-get install -y chromium) or set MODRELAY_CHROMIUM=/path/to/chrome';

/**
 * `findChromium()`, installing Debian's chromium first if none is found and this process may
 * (root, apt-get present). Throws with the one line to run otherwise.
 * @returns {string}
 */
export function ensureChromium() {
  const found = findChromium();
  if (found) return found;
  if (process.env.MODRELAY_CHROMIUM) throw new Error(`MODRELAY_CHROMIUM=${process.env.MODRELAY_CHROMIUM} does not exist: ${INSTALL_HINT}`);
  installDebianPackage('chromium', 'the browser tests');
  const installed = findChromium();
  if (!installed) throw new Error(`apt-get installed chromium, but no Chromium was found afterwards: ${INSTALL_HINT}`);
  return installed;
}

/**
 * @param {string[]} [args] more command-line switches (e.g. a certificate to trust)
 * @returns {Promise<import('playwright-core').Browser>}
 */
export function launchChromium(args = []) {
  return chromium.launch({ executablePath: ensureChromium(), args: [...CHROMIUM_ARGS, ...args], headless: true });
}
