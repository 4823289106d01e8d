import { closeSync, fstatSync, openSync, readSync, readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
import { open, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';

/** What reading a file under the root needs of an open descriptor (a `FileHandle` has it). */
export interface OpenFile {
  readonly fd: number;
  stat(): Promise<Stats>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

/** The file-system calls `openConfined` and `readWhole` (read-file.ts) make. */
export interface FileCalls<F extends OpenFile = OpenFile> {
  realpath(path: string): Promise<string>;
  open(path: string, flags: number): Promise<F>;
  readlink(path: string): Promise<string>;
  stat(path: string): Promise<Stats>;
}

/** Node's promise API: each call waits its turn in libuv's pool and the event loop. */
export const asyncCalls: FileCalls<FileHandle> = { realpath, open, readlink, stat };

/**
 * The same calls made at once, as promises already settled: awaiting them yields only to
 * microtasks, never to queued I/O callbacks. A change flush uses them (changes.ts) so it does not
 * wait behind other I/O: with chokidar, which re-read a changed file's whole folder (an
 * `lstat` per entry, 640 in lodash-es), the flush's six calls each waited behind those
 * callbacks, 25–45 ms.
 * They block the event loop while they run, so they are for a few files only.
 */
export const syncCalls: FileCalls = {
  realpath: async (path) => realpathSync(path),
  open: async (path, flags) => openedNow(openSync(path, flags)),
  readlink: async (path) => readlinkSync(path),
  stat: async (path) => statSync(path),
};

function openedNow(fd: number): OpenFile {
  return {
    fd,
    stat: async () => fstatSync(fd),
    read: async (buffer, offset, length, position) => ({ bytesRead: readSync(fd, buffer, offset, length, position) }),
    close: async () => closeSync(fd),
  };
}
