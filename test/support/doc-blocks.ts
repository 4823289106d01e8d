import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One fenced code block of a document. */
export interface DocBlock {
  file: string;
  lang: string;
  code: string;
}

/** Every fenced block of README.md, docs/integration.md and docs/inside-your-server.md, in order. */
export function docBlocks(): DocBlock[] {
  const blocks: DocBlock[] = [];
  for (const file of ['README.md', 'docs/integration.md', 'docs/inside-your-server.md']) {
    const text = readFileSync(fileURLToPath(new URL(`../../${file}`, import.meta.url)), 'utf8');
    for (const match of text.matchAll(/```(\w*)\n([\s\S]*?)```/g)) blocks.push({ file, lang: match[1]!, code: match[2]! });
  }
  return blocks;
}

/** The first block of docs/integration.md whose code starts with `firstLine`. */
export function docBlock(firstLine: string): DocBlock {
  const block = docBlocks().find((b) => b.file === 'docs/integration.md' && b.code.startsWith(firstLine));
  if (!block) throw new Error(`docs/integration.md has no block starting with ${firstLine}`);
  return block;
}

/** The docs' relay-only boot script (the block `// public/boot.mjs`), pointed at `relayUrl`. */
export function documentedBoot(relayUrl: string): string {
  return docBlock('// public/boot.mjs').code.replace('ws://localhost:8889/', relayUrl);
}
