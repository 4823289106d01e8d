import type { ModulePath } from '../protocol/wire.js';
import type { Module, ModuleStore } from './module-store.js';
import { LIMITS } from './options.js';

/** Files read at once while walking a graph: enough to overlap disk reads, few enough to stay polite. */
const CONCURRENCY = 32;

/**
 * The static import closure of `entry`, breadth-first, without `entry` itself, each module
 * once (cycles end there). A dependency that cannot be served (missing, forbidden, wrong
 * type, too large, unreadable) is skipped: the browser will ask for it and get the real
 * error then. At most `LIMITS.maxClosure` modules.
 */
export async function importClosure(store: ModuleStore, entry: Module): Promise<Module[]> {
  const seen = new Set<ModulePath>([entry.path]);
  const result: Module[] = [];
  let frontier: ModulePath[] = enqueue(entry, seen);
  while (frontier.length > 0 && result.length < LIMITS.maxClosure) {
    const next: ModulePath[] = [];
    for (let i = 0; i < frontier.length && result.length < LIMITS.maxClosure; i += CONCURRENCY) {
      const loaded = await Promise.all(frontier.slice(i, i + CONCURRENCY).map((path) => store.handOut(path)));
      for (const outcome of loaded) {
        if (!outcome.ok || result.length >= LIMITS.maxClosure) continue;
        result.push(outcome.module);
        next.push(...enqueue(outcome.module, seen));
      }
    }
    frontier = next;
  }
  return result;
}

function enqueue(module: Module, seen: Set<ModulePath>): ModulePath[] {
  const fresh: ModulePath[] = [];
  for (const path of module.imports) {
    if (seen.has(path)) continue;
    seen.add(path);
    fresh.push(path);
  }
  return fresh;
}
