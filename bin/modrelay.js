#!/usr/bin/env node
// The CLI lives in TypeScript (server/cli/cli.ts) and is compiled to dist/ by `npm run build`
// (`npm start` and `npm test` run it first; `npm pack` runs it through `prepack`).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/server/cli/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('modrelay: dist/ is missing; run `npm run build` in the modrelay folder first.');
  process.exit(1);
}
await import(cli.href);
