import { readFile } from 'node:fs/promises';
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
