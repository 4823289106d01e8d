import { realpathSync } from 'node:fs';
import { HostAllowlist } from '../access/hosts.js';
import { OriginAllowlist } from '../access/origins.js';
import type { ResolvedRelayOptions } from '../config/options.js';
import { FileStore } from '../files/file-store.js';
import { prewarm } from '../files/prewarm.js';
import { watchRoot, type RootWatcher } from '../watch/watcher.js';
import { relayOver, type RelayCore } from './relay.js';

/** The relay over a folder on disk, with what `serve` shares with it. */
export interface DiskRelay extends Omit<RelayCore, 'close'> {
  /** The root's files, read and hashed once per change: `serve` answers HTTP from it too. */
  store: FileStore;
  /** Settles when the start-up read-ahead is done (at once when `prewarm` is off). */
  prewarmed: Promise<unknown>;
  /** Stops the read-ahead and the watch, and closes every socket. */
  close(): Promise<void>;
}

/**
 * The disk as the relay's source: a `FileStore` for the root, its watch (server/watch/), whose
 * changes are announced to every socket, and a read-ahead of the root's files.
 */
export async function openDiskRelay(resolved: ResolvedRelayOptions): Promise<DiskRelay> {
  const realRoot = realpathSync(resolved.root);
  const store = new FileStore(realRoot, resolved.extensions, resolved.maxFileSize);
  let watcher: RootWatcher | undefined;
  const core = relayOver(store, {
    ...resolved,
    hosts: new HostAllowlist(resolved.host, resolved.allowedHosts),
    origins: new OriginAllowlist(resolved.allowOrigins),
    describe: () => ({ root: realRoot, watcher: watcher ? 'watching' : 'off' }),
  });
  if (resolved.watch) watcher = await watchRoot(realRoot, store, resolved.extensions, resolved.debounceMs, core.announce);
  const stopPrewarm = new AbortController();
  const prewarmed = resolved.prewarm ? prewarm(store, realRoot, resolved.extensions, stopPrewarm.signal).catch(() => 0) : Promise.resolve(0);
  let closing: Promise<void> | undefined;
  return {
    ...core,
    store,
    prewarmed,
    close: () => {
      closing ??= (async () => {
        stopPrewarm.abort();
        await prewarmed;
        await watcher?.close();
        core.close();
      })();
      return closing;
    },
  };
}
