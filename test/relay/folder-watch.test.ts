import { afterEach, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FolderWatch } from '../../server/watch/folder-watch.js';
import { removeRoot, tempRoot } from '../support/temp.js';
import { poll } from '../support/wait.js';

let root: string;
let watch: FolderWatch | undefined;
afterEach(async () => {
  watch?.close();
  await removeRoot(root);
});

describe('FolderWatch on real folders', () => {
  it('watches at most its cap of folders, warns once, and still reports events in the folders it watches', async () => {
    root = await tempRoot({ 'a/x.mjs': '1', 'b/x.mjs': '1', 'c/x.mjs': '1', 'd/x.mjs': '1', 'top.mjs': '1' });
    const touched: string[] = [];
    const warnings: string[] = [];
    watch = new FolderWatch(root, () => false, {
      touched: (file) => touched.push(file),
      folderGone: () => {},
      warn: (message) => warnings.push(message),
    }, 3);
    await watch.start();
    // The root and two of its four folders.
    expect(warnings).toEqual(['more than 3 folders: changes in the others are seen on the next request']);
    await writeFile(join(root, 'top.mjs'), '2');
    await poll(async () => touched.includes(join(root, 'top.mjs')));
  });
});
