// @ts-check
/**
 * The benchmark's browser: the same installed Chromium and flags as
 * test/support/chromium.ts. The bench is plain JavaScript (Node 20 cannot run
 * TypeScript, and `npm run bench` should not need a compile step of its own), so it
 * cannot import that file; keep the two in step.
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
