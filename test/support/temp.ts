import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The one way tests make real folders: a fresh one under the OS temp dir (or `under`, for a
 * folder that must resolve the project's node_modules), filled with `files` (path → content).
 */
export async function tempRoot(
  files: Record<string, string | Uint8Array> = {}, { prefix = 'modrelay-test-', under = tmpdir() } = {},
): Promise<string> {
  const root = await mkdtemp(join(under, prefix));
  await writeFiles(root, files);
  return root;
}

export async function writeFiles(root: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const file = join(root, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, content);
  }
}

export const removeRoot = (root: string): Promise<void> => rm(root, { recursive: true, force: true });
