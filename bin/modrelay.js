#!/usr/bin/env node
// The CLI lives in TypeScript (server/cli.ts) and is compiled to dist/ by `npm run build`,
// which `npm install` runs through the `prepare` script.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/server/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('modrelay: dist/ is missing; run `npm run build` in the modrelay folder first.');
  process.exit(1);
}
await import(cli.href);
