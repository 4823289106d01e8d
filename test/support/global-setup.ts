import { ensureChromium } from '../../scripts/chromium.js';
import { installDebianPackage, onPath } from '../../scripts/debian-package.js';

/**
 * Runs once before any test file: finds Chromium and Caddy, installing them on a machine that
 * has none (see scripts/chromium.js), so `npm test` on a fresh machine needs no other step
 * and the suites never race to install them.
 */
export default function setup(): void {
  const chromium = ensureChromium();
  // The relay-only test serves its page with a static server that is not ours.
  if (!onPath(process.env.MODRELAY_CADDY || 'caddy')) installDebianPackage('caddy', 'the relay-only test');
  if (process.env.CI) console.log(`modrelay tests: Chromium ${chromium}`);
}
