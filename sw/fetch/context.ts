import type { FilePath, Hash } from '../../protocol/wire.js';
import type { CacheStorageStore } from '../cache/cache-storage-store.js';
import type { Cached } from '../cache/cached.js';
import type { Epochs } from '../kit/epochs.js';
import type { Link } from '../relay/link.js';
import type { RelayAnswers } from '../relay/relay-answers.js';
import type { ResponseHeaders } from './headers.js';

/** What answering a fetch needs of the worker (sw/engine.ts provides it). */
export interface FetchContext {
  /** ms a fetch waits for the relay before it asks plain HTTP. */
  readonly budget: number;
  /** URL prefix and extensions the worker answers (route.ts). */
  readonly scope: string;
  readonly extensions: readonly string[];
  readonly epochs: Epochs;
  /** Paths the relay does not serve: network-first. */
  readonly refused: ReadonlySet<FilePath>;
  readonly cache: CacheStorageStore;
  /** The headers the worker's answers carry (headers.ts). */
  readonly headers: ResponseHeaders;
  readonly relay: RelayAnswers;
  /** Asks the relay to vouch for bytes that came over HTTP. */
  confirm(path: FilePath, hash: Hash): void;
  /** Whether the relay would serve `path` (its extension is on the list). */
  serves(path: FilePath): boolean;
  /** The relay link: `validated` once it vouched for the caches over the current socket. */
  readonly link: Pick<Link, 'validated'>;
  /** A page's copy for an offline navigation, only when every file it loaded is where it would load them from (cache/page-files.ts). */
  offlinePage(url: string): Promise<Cached | undefined>;
}
