import { after } from './deferred.js';
import type { Engine } from './engine.js';

const LOAD_POLL_MS = 100;
const LOAD_POLLS = 100; // 10 s

/** A load is over once no fetch event came for this long and no push is on its way. */
const LOAD_QUIET_MS = 500;

/** Resolves once the pages' loads through this worker are over, bounded. */
export async function loadsDone(engine: Engine): Promise<void> {
  const busy = () => engine.pushes.busy() || Date.now() - engine.lastFetchAt < LOAD_QUIET_MS;
  for (let i = 0; i < LOAD_POLLS && busy(); i++) await after(LOAD_POLL_MS, undefined);
}
