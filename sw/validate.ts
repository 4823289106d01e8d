import type { Hash, ManifestStatus, ModulePath } from '../protocol/wire.js';
import type { ModuleCache } from './module-cache.js';
import type { Answer, RelaySocket } from './relay-socket.js';

/**
 * One `manifest:check` round trip for every cached module path, then evict what changed or
 * is gone. Run on every worker start and every (re)connect: while the socket was down the
 * relay's `module:updated` broadcasts were lost, so nothing cached may be served until this
 * resolves true. Resolves false if the relay did not answer (the link dropped).
 */
export async function validate<F>(
  cache: ModuleCache, socket: RelaySocket<F>, isModule: (path: ModulePath) => boolean, refused: (url: string) => void,
): Promise<boolean> {
  await cache.loaded;
  const sent = cache.manifest(isModule);
  if (Object.keys(sent).length === 0) return true;
  let answer: Answer<F>;
  try {
    answer = await socket.request({ type: 'manifest:check', entries: sent });
  } catch {
    return false;
  }
  if (!('type' in answer) || answer.type !== 'manifest:status') return false;
  reconcile(cache, sent, answer, refused);
  return true;
}

/**
 * Applies a `manifest:status` synchronously, so the whole batch lands before any read.
 * `refused` hears the URLs of HTTP copies the relay does not serve: asking it for them
 * again would only cost a round trip before the same HTTP fetch.
 */
export function reconcile(
  cache: ModuleCache, sent: Record<ModulePath, Hash>, status: ManifestStatus, refused: (url: string) => void,
): void {
  const removed = new Set(status.removed);
  for (const path of [...Object.keys(status.changed), ...removed]) cache.touch(path);
  const stale: string[] = [];
  for (const [url, meta] of cache.all()) {
    if (!(meta.path in sent)) continue; // cached after the snapshot: current
    if (removed.has(meta.path)) {
      // Not (or no longer) served by the relay, e.g. /@modrelay/client.mjs: an HTTP copy
      // stays as a network-first copy for offline use; a relay copy of a deleted file goes.
      if (meta.source === 'network') {
        cache.setKind(url, meta.hash, 'shell');
        refused(url);
      } else {
        stale.push(url);
      }
      continue;
    }
    const current = status.changed[meta.path] ?? sent[meta.path];
    if (meta.hash !== current) stale.push(url);
    else if (meta.kind === 'shell') cache.setKind(url, meta.hash, 'module'); // the relay vouches for this HTTP copy
  }
  cache.evict(stale);
}
