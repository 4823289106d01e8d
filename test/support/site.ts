import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { removeRoot, tempRoot, writeFiles } from './temp.js';

/**
 * A throwaway site in a temp folder: the files a browser test serves, written for real.
 * Every site gets modrelay's standard page and boot script unless it brings its own.
 */
export interface Site {
  root: string;
  write(path: string, content: string | Uint8Array): Promise<void>;
  remove(path: string): Promise<void>;
  cleanup(): Promise<void>;
}

/** index.html loading boot.mjs, which registers modrelay and then imports app.mjs. */
export const STANDARD_FILES: Record<string, string> = {
  'index.html': `<!doctype html><meta charset="utf-8"><title>modrelay test</title>
<script type="module" src="./boot.mjs"></script><body><p id="out"></p></body>`,
  // `__modrelay` records the registration status; the app sets `__result` when it is done.
  // `?relay=<ws url>` on the page URL points the worker at another relay (a proxy, a liar);
  // `?store=http-cache` picks that store.
  'boot.mjs': `const { registerModuleRelay } = await import('/@modrelay/client.mjs');
const query = new URLSearchParams(location.search);
const relayUrl = query.get('relay') ?? undefined;
const store = query.get('store') ?? undefined;
const relay = await registerModuleRelay({ heartbeatMs: 0, relayUrl, store });
window.__modrelay = { status: relay.status, updates: [] };
relay.onUpdate((update) => window.__modrelay.updates.push(update));
try {
  await import('./app.mjs');
} catch (error) {
  window.__result = { error: String(error) };
}
`,
};

export async function createSite(files: Record<string, string | Uint8Array>): Promise<Site> {
  const root = await tempRoot({ ...STANDARD_FILES, ...files }, { prefix: 'modrelay-site-' });
  return {
    root,
    write: (path, content) => writeFiles(root, { [path]: content }),
    remove: (path) => unlink(join(root, path)),
    cleanup: () => removeRoot(root),
  };
}
