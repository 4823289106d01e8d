import { chromium, type Browser } from 'playwright-core';

/**
 * Playwright cannot download a browser on our machines, so every browser test and
 * benchmark drives an installed Chromium: Debian's `/usr/bin/chromium` unless
 * MODRELAY_CHROMIUM names another. The flags keep a root, offline, headless Chromium
 * quiet (see DESIGN.md).
 */
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

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}
