import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { serve, type Server } from '../../server/index.js';
import { launchChromium } from '../../scripts/chromium.js';
import { logResponses } from './page-log.js';
import { createSite, type Site } from './site.js';

/**
 * One browser per test file, a fresh context (fresh service worker, caches, IndexedDB) per
 * test, real servers on ephemeral ports, real files in a temp folder; everything closed in
 * `close()` even when the test failed half-way.
 */
export function browserHarness() {
  let browser: Browser | undefined;
  const cleanups: (() => Promise<unknown>)[] = [];
  return {
    async launch() {
      browser = await launchChromium();
    },
    async shutdown() {
      await browser?.close();
    },
    /** Runs every cleanup registered since the last call, last first. */
    async close() {
      while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
    },
    defer(cleanup: () => Promise<unknown>) {
      cleanups.push(cleanup);
    },
    async site(files: Record<string, string | Uint8Array>): Promise<Site> {
      const site = await createSite(files);
      cleanups.push(() => site.cleanup());
      return site;
    },
    async serve(root: string, options: { relayPort?: number; port?: number } = {}): Promise<Server> {
      const server = await serve({ root, port: options.port ?? 0, relayPort: options.relayPort ?? 0 });
      cleanups.push(() => server.close());
      return server;
    },
    async page(): Promise<{ context: BrowserContext; page: Page; log: ReturnType<typeof logResponses> }> {
      const context = await browser!.newContext();
      cleanups.push(() => context.close());
      // Every page records what the worker says of its store after each report (waitReported).
      await context.addInitScript(() => {
        addEventListener('modrelay:store', (event) => {
          const w = window as unknown as { __stores?: unknown[] };
          (w.__stores ??= []).push((event as CustomEvent).detail);
        });
      });
      const page = await context.newPage();
      page.on('pageerror', (error) => console.warn('[page error]', error.message));
      return { context, page, log: logResponses(page) };
    },
  };
}

/**
 * A browser test file's harness, with vitest's hooks registered: the browser starts before
 * the file's first test and stops after its last; each test's cleanups run after it.
 */
export type BrowserHarness = ReturnType<typeof browserHarness>;

export function browserSuite(): BrowserHarness {
  const h = browserHarness();
  beforeAll(() => h.launch());
  afterAll(() => h.shutdown());
  afterEach(() => h.close());
  return h;
}

/** Loads `url` and waits until the service worker controls the page. */
export async function firstVisit(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, null, { timeout: 15_000 });
}
