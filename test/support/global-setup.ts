import { ensureChromium } from '../../scripts/chromium.js';

/**
 * Runs once before any test file: finds Chromium, installing it on a machine that has none
 * (see scripts/chromium.js), so `npm test` on a fresh machine needs no other step and the
 * browser suites never race to install it.
 */
export default function setup(): void {
  const chromium = ensureChromium();
  if (process.env.CI) console.log(`modrelay tests: Chromium ${chromium}`);
}
