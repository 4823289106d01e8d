/** A mistake on the command line: printed as one line, exit status 2. */
export class UsageError extends Error {}

/** A repeatable flag's values (cac gives a string for one, an array for several). */
export function list(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** A flag that takes one value: given twice, the last one wins (cac collects both). */
export function last(value: unknown): unknown {
  return Array.isArray(value) ? value[value.length - 1] : value;
}

/** A flag's number; undefined when absent (the API fills defaults and checks ranges). */
export function integer(name: string, given: unknown): number | undefined {
  const value = last(given);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(String(value))) throw new UsageError(`--${name} must be a non-negative integer, got "${String(value)}"`);
  return Number(value);
}

/** `--proxy /api=http://127.0.0.1:8888` → { '/api': 'http://127.0.0.1:8888' }. */
export function parseProxies(values: string[]): Record<string, string> {
  const proxies: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf('=');
    if (at <= 0) throw new UsageError(`--proxy takes prefix=url, e.g. /api=http://127.0.0.1:8888, got "${value}"`);
    proxies[value.slice(0, at)] = value.slice(at + 1);
  }
  return proxies;
}

/** `--header 'X-Frame-Options: DENY'` → { 'X-Frame-Options': 'DENY' }. */
export function parseHeaders(values: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf(':');
    if (at <= 0) throw new UsageError(`--header takes "Name: value", got "${value}"`);
    headers[value.slice(0, at).trim()] = value.slice(at + 1).trim();
  }
  return headers;
}

/** The name nearest to `typed` (edit distance at most 3), for "did you mean …?". */
export function closest(typed: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 4;
  for (const name of names) {
    const distance = editDistance(typed, name);
    if (distance < bestDistance) [best, bestDistance] = [name, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
