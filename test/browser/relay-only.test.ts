import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { freePort, startCaddy } from '../../bench/caddy.js';
import { startRelayProcess } from '../faults/relay-process.js';
import { documentedBoot } from '../support/doc-blocks.js';
import { browserSuite } from '../support/harness.js';
import { appResult } from '../support/page-log.js';
import { removeRoot, tempRoot } from '../support/temp.js';
import { waitCached } from '../support/wait.js';

/**
 * Relay-only, as docs/integration.md §2 says, with a static server that is not ours:
 * `modrelay init public/`, `caddy file-server`, `modrelay relay public --allow-origin …`, and
 * the docs' boot script as written (only the relay's port differs). Then the same page
 * behind a Caddy reverse proxy.
 */
const BIN = fileURLToPath(new URL('../../bin/modrelay.js', import.meta.url));

const h = browserSuite();

describe('relay-only with a static server that is not ours', () => {
  test('init, caddy file-server, the documented boot: controlled, files from the relay then the cache; the same behind a Caddy reverse proxy', async () => {
    const dir = await tempRoot({
      'public/index.html': '<!doctype html><meta charset="utf-8"><script type="module" src="./boot.mjs"></script>',
      'public/app.mjs': "import { value } from './lib/value.mjs';\nwindow.__result = { value, controlled: !!navigator.serviceWorker.controller };\n",
      'public/lib/value.mjs': "export const value = 'relay-only';\n",
    });
    h.defer(() => removeRoot(dir));
    const publicDir = join(dir, 'public');
    const init = spawnSync(process.execPath, [BIN, 'init', publicDir], { encoding: 'utf8' });
    expect(init.status).toBe(0);

    const [filePort, proxyPort] = [await freePort(), await freePort()];
    const origins = [`http://127.0.0.1:${filePort}`, `http://127.0.0.1:${proxyPort}`];
    const relay = await startRelayProcess(publicDir, origins.flatMap((origin) => ['--allow-origin', origin]));
    h.defer(() => relay.kill());
    await writeFile(join(publicDir, 'boot.mjs'), documentedBoot(relay.url));
    const caddy = await startCaddy(dir, [{ port: filePort, root: publicDir }, { port: proxyPort, upstream: origins[0]! }]);
    h.defer(() => caddy.close());

    for (const origin of origins) {
      const { page, log } = await h.page();
      await page.goto(`${origin}/`);
      expect(await appResult(page)).toMatchObject({ value: 'relay-only' });
      const first = await log.byPath();
      expect({ origin, ...first.get('/lib/value.mjs') }).toMatchObject({ origin, fromSW: true, source: 'relay' });
      await waitCached(page, ['/app.mjs', '/lib/value.mjs']);
      log.reset();
      await page.reload();
      expect(await appResult(page)).toEqual({ value: 'relay-only', controlled: true });
      const second = await log.byPath();
      for (const path of ['/app.mjs', '/lib/value.mjs']) expect({ origin, path, ...second.get(path) }).toMatchObject({ origin, path, fromSW: true, source: 'cache' });
    }
  });
});
