import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

/**
 * `vite build --mode sw`     → dist/sw.js, one classic script (module SWs have no
 *                              import()/importScripts(), and classic SWs run everywhere).
 * `vite build --mode client` → dist/client.mjs, one ES module for boot scripts.
 * `vite build --mode strategy` → dist/strategy.mjs, `ModuleRelayStrategy` for apps that
 *                              bundle their own Workbox worker: self-contained (Workbox,
 *                              idb-keyval and partysocket inside, `process.env.NODE_ENV`
 *                              replaced), so the app's bundler needs no `define`.
 * `vite build --mode worker` → dist/worker.mjs, the hooks for an app's own plain worker
 *                              (sw/hooks.ts), to bundle; `--mode worker-classic` →
 *                              dist/worker.js, the same for `importScripts` (`self.modrelay`).
 * `vitest`                   → the test suites (node environment; browser tests drive
 *                              Debian's Chromium through playwright-core).
 */
const LIBRARIES = {
  sw: { entry: 'sw/main.ts', formats: ['iife' as const], name: 'modrelaySw', fileName: () => 'sw.js' },
  client: { entry: 'client/index.ts', formats: ['es' as const], fileName: () => 'client.mjs' },
  strategy: { entry: 'sw/strategy.ts', formats: ['es' as const], fileName: () => 'strategy.mjs' },
  worker: { entry: 'sw/hooks.ts', formats: ['es' as const], fileName: () => 'worker.mjs' },
  'worker-classic': { entry: 'sw/hooks.ts', formats: ['iife' as const], name: 'modrelay', fileName: () => 'worker.js' },
};

export default defineConfig(({ mode }) => ({
  // Workbox reads process.env.NODE_ENV, which does not exist in a worker; library mode
  // leaves it alone unless defined. 'production' also drops Workbox's dev logging.
  // __MODRELAY_VERSION__: the worker and the client carry the version they were built as.
  define: { 'process.env.NODE_ENV': JSON.stringify('production'), __MODRELAY_VERSION__: JSON.stringify(version) },
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    target: 'es2022',
    minify: true,
    sourcemap: true,
    lib: LIBRARIES[mode as keyof typeof LIBRARIES] ?? LIBRARIES.client,
    rollupOptions: {
      // Names the file as ours (`modrelay init` replaces only its own copies) and its version.
      output: { postBanner: `/*! modrelay ${version} */` },
    },
  },
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Browser suites start Chromium and servers; two cores do not run several at once well.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
}));
