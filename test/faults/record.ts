import { appendFileSync } from 'node:fs';

/**
 * One row of docs/reliability.md. Suites call `record` with what they tried and what
 * happened; `run.mjs` (npm run test:faults) collects the rows into the report. Under plain
 * `npm test` (no MODRELAY_FAULTS_RESULTS) rows are only printed.
 */
export interface Row {
  area: string;
  tried: string;
  times: number;
  happened: string;
  pass: boolean;
}

export const FULL = process.env.MODRELAY_FAULTS === 'full';

/** Picks the quick size for `npm test` or the full size for `npm run test:faults`. */
export function size<T>(quick: T, full: T): T {
  return FULL ? full : quick;
}

export function record(row: Row): void {
  const file = process.env.MODRELAY_FAULTS_RESULTS;
  if (file) appendFileSync(file, `${JSON.stringify(row)}\n`);
  else console.log(`[faults] ${row.area} | ${row.tried} | ${row.times} | ${row.happened} | ${row.pass ? 'ok' : 'FAIL'}`);
}
