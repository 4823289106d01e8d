// @ts-check
/** Prints where a Chromium trace spent its time (used by trace-sw.js and experiments/). */

/** Trace categories that show fetch events, script loading and V8 parse/compile. */
export const TRACE_CATEGORIES = ['toplevel', 'ServiceWorker', 'devtools.timeline', 'v8', 'blink', 'loading'];

/**
 * Per thread: total duration of the events that take the most time (nested events are
 * counted within their parents too, so rows overlap; compare like with like).
 * @param {any[]} events
 */
export function summarizeTrace(events) {
  /** @type {Map<string, string>} */
  const threadNames = new Map();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') threadNames.set(`${e.pid}:${e.tid}`, e.args.name);
  /** @type {Map<string, Map<string, { n: number, us: number }>>} */
  const byThread = new Map();
  for (const e of events) {
    if (e.ph !== 'X' || !e.dur) continue;
    const thread = threadNames.get(`${e.pid}:${e.tid}`) ?? `${e.pid}:${e.tid}`;
    const names = byThread.get(thread) ?? new Map();
    byThread.set(thread, names);
    const row = names.get(e.name) ?? { n: 0, us: 0 };
    row.n++;
    row.us += e.dur;
    names.set(e.name, row);
  }
  for (const [thread, names] of byThread) {
    const rows = [...names].sort((a, b) => b[1].us - a[1].us).slice(0, 8);
    if (!rows[0] || rows[0][1].us < 20_000) continue; // threads that did next to nothing
    console.log(`\n== ${thread}`);
    for (const [name, { n, us }] of rows) console.log(`  ${(us / 1000).toFixed(1).padStart(8)} ms  n=${String(n).padEnd(5)} ${name}`);
  }
  // Compilation versus code cache: a warm reload at the floor consumes V8's code cache
  // instead of parsing every module again.
  /** @type {Map<string, { n: number, us: number }>} */
  const v8 = new Map();
  for (const names of byThread.values()) {
    for (const [name, row] of names) {
      if (!/parse|compile|cache/i.test(name)) continue;
      const total = v8.get(name) ?? { n: 0, us: 0 };
      total.n += row.n;
      total.us += row.us;
      v8.set(name, total);
    }
  }
  console.log('\n== parsing, compiling, code cache (all threads)');
  for (const [name, { n, us }] of [...v8].sort((a, b) => b[1].us - a[1].us).slice(0, 10)) {
    console.log(`  ${(us / 1000).toFixed(1).padStart(8)} ms  n=${String(n).padEnd(5)} ${name}`);
  }
  const sw = [...byThread].find(([t]) => t === 'ServiceWorker thread')?.[1];
  const dispatch = sw?.get('ServiceWorkerGlobalScope::DispatchFetchEventForSubresource');
  if (dispatch) {
    console.log(`\nService Worker: ${dispatch.n} subresource fetch events, ${(dispatch.us / 1000).toFixed(1)} ms in their handlers, ${(dispatch.us / dispatch.n / 1000).toFixed(2)} ms each`);
  }
}
