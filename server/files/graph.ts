import type { FilePath } from '../../protocol/wire.js';
import type { ServedFile, Source } from './source.js';
import { LIMITS } from '../config/options.js';

/** Files read at once while walking a graph: enough to overlap disk reads, few enough to stay polite. */
const CONCURRENCY = 32;

/**
 * The static import closure of `entry`, breadth-first, without `entry` itself, each module
 * once (cycles end there). A dependency that cannot be served (missing, forbidden, wrong
 * type, too large, unreadable) is skipped: the browser will ask for it and get the real
 * error then. At most `LIMITS.maxClosure` modules.
 */
export async function importClosure(source: Source, entry: ServedFile): Promise<ServedFile[]> {
  const seen = new Set<FilePath>([entry.path]);
  const result: ServedFile[] = [];
  let frontier: FilePath[] = enqueue(entry, seen);
  while (frontier.length > 0 && result.length < LIMITS.maxClosure) {
    const next: FilePath[] = [];
    for (let i = 0; i < frontier.length && result.length < LIMITS.maxClosure; i += CONCURRENCY) {
      const loaded = await Promise.all(frontier.slice(i, i + CONCURRENCY).map((path) => source.loadForClient(path)));
      for (const outcome of loaded) {
        if (!outcome.ok || result.length >= LIMITS.maxClosure) continue;
        result.push(outcome.file);
        next.push(...enqueue(outcome.file, seen));
      }
    }
    frontier = next;
  }
  return result;
}

function enqueue(file: ServedFile, seen: Set<FilePath>): FilePath[] {
  const fresh: FilePath[] = [];
  for (const path of file.imports) {
    if (seen.has(path)) continue;
    seen.add(path);
    fresh.push(path);
  }
  return fresh;
}
