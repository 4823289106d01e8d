import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { idbEntries } from '../support/idb.js';
import { sha256 } from '../support/sha256.js';

/**
 * Reads every entry of every Cache Storage cache of the page's origin (from inside the
 * page, so it sees exactly what the SW would serve), hashes each body, and compares it with
 * the file on disk. A cached body that differs from its file is partial or stale.
 */
export interface CachedEntry {
  url: string;
  cache: string;
  status: number;
  hash: string;
  size: number;
  etag: string | null;
}

export interface CacheAudit {
  entries: CachedEntry[];
  /** Entries whose body is not the file on disk (or whose ETag is not their body's hash). */
  bad: string[];
  /** Module entries checked against disk. */
  modules: number;
}

export async function readCaches(page: Page): Promise<CachedEntry[]> {
  return page.evaluate(async () => {
    const hex = (buf: ArrayBuffer) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
    const out: CachedEntry[] = [];
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const request of await cache.keys()) {
        const response = await cache.match(request);
        if (!response) continue;
        const body = await response.arrayBuffer();
        out.push({
          url: request.url,
          cache: name,
          status: response.status,
          hash: hex(await crypto.subtle.digest('SHA-256', body)),
          size: body.byteLength,
          etag: response.headers.get('etag'),
        });
      }
    }
    return out;
  });
}

export async function auditCaches(page: Page, root: string): Promise<CacheAudit> {
  const entries = await readCaches(page);
  const bad: string[] = [];
  let modules = 0;
  for (const entry of entries) {
    const path = decodeURIComponent(new URL(entry.url).pathname);
    const file = path.endsWith('/') ? `${path}index.html` : path;
    let disk: Buffer | null = null;
    try {
      disk = await readFile(join(root, file));
    } catch {
      disk = null;
    }
    if (entry.etag && /^"[0-9a-f]{64}"$/.test(entry.etag) && entry.etag !== `"${entry.hash}"`) {
      bad.push(`${path}: ETag ${entry.etag} is not the cached body's sha-256 ${entry.hash}`);
    }
    if (disk === null) continue; // e.g. /sw.js or /@modrelay/client.mjs: not under the root
    if (/\.m?js$/.test(path)) modules++;
    const want = sha256(disk);
    if (want !== entry.hash) bad.push(`${path}: cached ${entry.size} B sha-256 ${entry.hash.slice(0, 12)}…, disk ${disk.length} B ${want.slice(0, 12)}…`);
  }
  return { entries, bad, modules };
}

/**
 * The HTTP-cache store's copies: for every copy the worker recorded with a hash, the bytes the
 * browser's HTTP cache now answers for its URL (a page `fetch`, which an immutable copy answers
 * without a request) must be the file on disk, and the record's hash theirs. Returns the
 * number of copies checked and what was wrong.
 */
export async function auditCopies(page: Page, root: string): Promise<{ copies: number; bad: string[] }> {
  const rows = await idbEntries<{ hash: string | null }>(page, 'modrelay-http-cache', 'copies');
  const recorded = rows.filter(([, copy]) => typeof copy.hash === 'string');
  const served = await page.evaluate(async (urls) => {
    const hex = (buf: ArrayBuffer) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
    return Promise.all(urls.map(async (url) => {
      const response = await fetch(url);
      return hex(await crypto.subtle.digest('SHA-256', await response.arrayBuffer()));
    }));
  }, recorded.map(([url]) => url));
  const bad: string[] = [];
  for (const [i, [url, copy]] of recorded.entries()) {
    const path = decodeURIComponent(new URL(url).pathname);
    const disk = await readFile(join(root, path)).then(sha256, () => null);
    if (disk !== null && served[i] !== disk) bad.push(`${path}: the HTTP cache answers sha-256 ${served[i]!.slice(0, 12)}…, disk ${disk.slice(0, 12)}…`);
    if (served[i] !== copy.hash) bad.push(`${path}: recorded ${copy.hash!.slice(0, 12)}…, the HTTP cache answers ${served[i]!.slice(0, 12)}…`);
  }
  return { copies: recorded.length, bad };
}
