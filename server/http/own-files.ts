import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CLIENT_PATH, JSON_CONTENT_TYPE, JS_CONTENT_TYPE, RELAY_URL_PLACEHOLDER, WORKER_HOOKS_PATH } from '../../protocol/defaults.js';
import { STORE_HEADER, storeCacheControl } from '../../protocol/http-cache.js';
import { MISSING_BUILD, readAsset, type AssetName } from './built-files.js';
import { sendText } from './send-text.js';

interface OwnFile {
  asset: AssetName;
  contentType: string;
  /** The client gets the relay's URL baked in, so `registerModuleRelay()` needs no arguments. */
  announcesRelay: boolean;
}

/** URL path → built file. The bundles end with sourceMappingURL comments; DevTools asks for the maps. */
const OWN_FILES: Record<string, OwnFile> = {
  '/sw.js': { asset: 'sw.js', contentType: JS_CONTENT_TYPE, announcesRelay: false },
  '/sw.js.map': { asset: 'sw.js.map', contentType: JSON_CONTENT_TYPE, announcesRelay: false },
  [CLIENT_PATH]: { asset: 'client.mjs', contentType: JS_CONTENT_TYPE, announcesRelay: true },
  [`${CLIENT_PATH}.map`]: { asset: 'client.mjs.map', contentType: JSON_CONTENT_TYPE, announcesRelay: false },
  [WORKER_HOOKS_PATH]: { asset: 'worker.js', contentType: JS_CONTENT_TYPE, announcesRelay: false },
  [`${WORKER_HOOKS_PATH}.map`]: { asset: 'worker.js.map', contentType: JSON_CONTENT_TYPE, announcesRelay: false },
};

/** The built file `request` asks for, or undefined when it is not one of modrelay's (or is the app's own `/sw.js`). */
function ownFile(request: IncomingMessage, appWorker: boolean): OwnFile | undefined {
  const file = OWN_FILES[(request.url ?? '/').split('?')[0]!];
  return file && !(file.asset.startsWith('sw.js') && appWorker) ? file : undefined;
}

/** Whether `request` asks for one of modrelay's own files (see `ownFilesHandler`). */
export function isOwnFile(request: IncomingMessage, appWorker: boolean): boolean {
  return ownFile(request, appWorker) !== undefined;
}

/** What `serve` says when the root has a worker of its own at `/sw.js`. */
export const APP_WORKER_NOTE = "the root has its own service worker (sw.js): serve answers /sw.js with it, not with modrelay's. "
  + `A scope has one worker, so mount modrelay inside yours: importScripts('${WORKER_HOOKS_PATH}') and hand it your events `
  + "(docs/integration.md, 'An app with its own plain service worker'); the page registers yours through the client, registerModuleRelay({ swUrl: '/sw.js' }).";

/**
 * modrelay's own files, served next to the app's root: the built worker at `/sw.js` (unless
 * `appWorker()` says the root has its own there: the app's is served, never replaced), the
 * client at `/@modrelay/client.mjs` and the hooks for an app's own worker at
 * `/@modrelay/worker.js`. The handler resolves true when it answered. `relayUrl` is read per
 * request, so a server can start before its relay (tests restart relays).
 */
export function ownFilesHandler(relayUrl: () => string, appWorker: () => boolean): (request: IncomingMessage, response: ServerResponse) => Promise<boolean> {
  return async (request, response) => {
    const file = ownFile(request, appWorker());
    if (!file) return false;
    const raw = await readAsset(file.asset);
    if (raw === null) {
      sendText(response, 500, `modrelay: cannot serve ${file.asset}: ${MISSING_BUILD}\n`);
      return true;
    }
    const body = file.announcesRelay ? Buffer.from(raw.toString('utf8').replaceAll(RELAY_URL_PLACEHOLDER, relayUrl())) : raw;
    sendBuilt(request, response, body, file.contentType);
    return true;
  };
}

/**
 * A built file with a content hash ETag and `no-cache`, so a rebuild is seen on the next load;
 * `immutable` to the worker's copy request (protocol/http-cache.ts), which the routed version
 * makes of the client and revalidates after every load (sw/http-cache/client-copy.ts).
 */
function sendBuilt(request: IncomingMessage, response: ServerResponse, body: Buffer, contentType: string): void {
  const etag = `"${createHash('sha256').update(body).digest('hex')}"`;
  const cacheControl = storeCacheControl(request.headers[STORE_HEADER], (request.url ?? '/').split('?')[0]!);
  const headers = { 'content-type': contentType, 'cache-control': cacheControl, etag };
  if (request.headers['if-none-match'] === etag) {
    response.writeHead(304, headers);
    return void response.end();
  }
  response.writeHead(200, { ...headers, 'content-length': String(body.byteLength) });
  response.end(request.method === 'HEAD' ? undefined : body);
}
