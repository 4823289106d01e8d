import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { END, START, namedJson, renderReadmeBlock } from '../../bench/readme.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The README's figures come from a committed full bench run: the run it names renders exactly its block. */
test("the README's performance block is what the committed run it names renders", async () => {
  const readme = await readFile(path.join(root, 'README.md'), 'utf8');
  const jsonPath = namedJson(readme) as string | null;
  expect(jsonPath, 'the block links the run it shows').toMatch(/^bench\/results\/.+\.json$/);
  const results = JSON.parse(await readFile(path.join(root, jsonPath!), 'utf8'));
  expect(results.quick, 'a full run, not a smoke run').toBe(false);
  const block = readme.slice(readme.indexOf(START) + START.length + 1, readme.indexOf(END) - 1);
  expect(block).toBe(renderReadmeBlock(results, jsonPath!));
});

/** The client's size the README states is the built client's, gzipped (npm test builds first). */
test("the README's client size is dist/client.mjs gzipped, to 0.1 kB", async () => {
  const readme = await readFile(path.join(root, 'README.md'), 'utf8');
  const stated = /`dist\/client\.mjs`, ([\d.]+) kB gzipped/.exec(readme)?.[1];
  const built = gzipSync(await readFile(path.join(root, 'dist/client.mjs'))).byteLength;
  expect(stated, 'the README states a size').toBeDefined();
  expect(stated).toBe((built / 1000).toFixed(1));
});
