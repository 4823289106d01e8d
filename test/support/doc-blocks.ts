import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One fenced code block of a document. */
export interface DocBlock {
  file: string;
  lang: string;
  code: string;
}

/** Every fenced block of README.md and docs/integration.md, in order. */
export function docBlocks(): DocBlock[] {
  const blocks: DocBlock[] = [];
  for (const file of ['README.md', 'docs/integration.md']) {
    const text = readFileSync(fileURLToPath(new URL(`../../${file}`, import.meta.url)), 'utf8');
    for (const match of text.matchAll(/```(\w*)\n([\s\S]*?)```/g)) blocks.push({ file, lang: match[1]!, code: match[2]! });
  }
  return blocks;
}
