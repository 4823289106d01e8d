import type { Engine } from './engine.js';
import { validatedHit, type Handled } from './fetch-module.js';
import { rangeResponse } from './response.js';
import { cacheKey, relayPath } from './route.js';

/**
 * A `Range` request (an `<audio>` or `<video>` loading or seeking): answered from the body
 * the worker holds, validated like any cached file, with a correct `206`. Without a copy it
 * goes to the network untouched (the server answers the range itself), while the whole file
 * is asked of the relay for the next load, so media play offline after one visit. Offline
 * with an unvalidated copy, that copy answers rather than an error.
 */
export function fetchRange(engine: Engine, request: Request, range: string): Handled {
  const background: Promise<unknown>[] = [];
  const response = answer(engine, request, range, background);
  // Twice: the relay's answer adds its cache write to `background` after it arrives.
  const settle = () => Promise.allSettled(background).then(() => Promise.allSettled(background));
  return { response, done: response.then(settle, settle) };
}

async function answer(engine: Engine, request: Request, range: string, background: Promise<unknown>[]): Promise<Response> {
  const url = cacheKey(request.url);
  const path = relayPath(url);
  const { cache } = engine;
  const deadline = Date.now() + engine.options.budget;
  const ours = path !== null && !engine.refused.has(path);
  const hit = ours ? await validatedHit(engine, url, deadline) : undefined;
  if (hit) return rangeResponse({ ...hit.meta, bytes: hit.bytes }, range, 'cache');
  if (ours && !cache.get(url)) background.push(engine.relay.ask(url, path, deadline, background));
  try {
    return await fetch(request);
  } catch (error) {
    const stale = await cache.read(url);
    if (stale) return rangeResponse({ ...stale.meta, bytes: stale.bytes }, range, 'cache');
    throw error;
  }
}
