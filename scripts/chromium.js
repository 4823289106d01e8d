// @ts-check
/**
 * The one browser launcher of the tests and the benchmark. Playwright cannot download a
 * browser on our machines, so both drive an installed Chromium: Debian's `/usr/bin/chromium`
 * unless MODRELAY_CHROMIUM names another. The flags keep a root, offline, headless Chromium
 * quiet (see DESIGN.md). Plain JavaScript, so `npm run bench` needs no compile step; the
 * TypeScript tests import it as it is.
 */
import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.MODRELAY_CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** @returns {Promise<import('playwright-core').Browser>} */
export function launchChromium() {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}
