import { existsSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from './prng.js';
import { record, size } from './record.js';
import { startRelayProcess, type RelayProcess } from './relay-process.js';
import { UpdateLog } from './update-log.js';
import { sleep } from '../support/wait.js';
import { sha256 } from '../support/sha256.js';
import { removeRoot, tempRoot } from '../support/temp.js';

/**
 * Issue 5, part 4: watcher storms on real files under a real relay (`modrelay relay`). Every scenario ends with
 * the same check: after a quiet period, the last broadcast for each path matches the disk
 * (its sha-256, or module:removed when the file is gone).
 */
const WRITES = size(1_000, 5_000);
const FILES = 100;

async function walk(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    if (entry.isDirectory()) out.push(...(await walk(join(dir, entry.name), `${prefix}/${entry.name}`)));
    else if (entry.name.endsWith('.mjs')) out.push(`${prefix}/${entry.name}`);
  }
  return out;
}

/** Paths among `touched` whose last broadcast disagrees with the disk. */
async function mismatches(root: string, log: UpdateLog, touched: Iterable<string>): Promise<string[]> {
  const bad: string[] = [];
  for (const path of new Set(touched)) {
    const file = join(root, path);
    const word = log.last.get(path);
    if (existsSync(file)) {
      const want = sha256(await readFile(file));
      if (!word || word === 'removed' || word.hash !== want) bad.push(`${path}: disk ${want.slice(0, 8)}, last word ${JSON.stringify(word)}`);
    } else if (word !== undefined && word !== 'removed') {
      bad.push(`${path}: gone from disk, last word ${JSON.stringify(word)}`);
    }
  }
  return bad;
}

describe('watcher storms (real relay, real files)', () => {
  let root: string;
  let relay: RelayProcess;
  let log: UpdateLog;
  const files = Array.from({ length: FILES }, (_, i) => `/src/d${i % 10}/f${String(i).padStart(3, '0')}.mjs`);

  beforeAll(async () => {
    root = await tempRoot(Object.fromEntries(files.map((f) => [f, `export const v = 'initial ${f}';\n`])), { prefix: 'modrelay-faults-storm-' });
    // A child process, so the writer and the relay do not share one event loop.
    relay = await startRelayProcess(root);
    log = await UpdateLog.open(relay.url);
  });
  afterAll(async () => {
    log?.close();
    await relay?.kill();
    await removeRoot(root);
  });

  it(`${WRITES} writes in about a second over ${FILES} files are coalesced, and the last one wins`, async () => {
    const random = mulberry32(42);
    const before = log.mark();
    const started = Date.now();
    // Spread the writes over ~1 s: 100 ticks, each writing WRITES/100 distinct files at once.
    const perTick = WRITES / 100;
    for (let tick = 0; tick < 100; tick++) {
      const batch = new Set<string>();
      while (batch.size < Math.min(perTick, files.length)) batch.add(files[Math.floor(random() * files.length)]!);
      // Synchronous writes: the burst lands as fast as the disk takes it.
      [...batch].forEach((f, j) => writeFileSync(join(root, f), `export const v = ${tick * perTick + j}; // ${f}\n`));
      await sleep(Math.max(0, started + (tick + 1) * 10 - Date.now()));
    }
    await log.quiet();
    const messages = log.messages - before.messages;
    const entries = log.entries - before.entries;
    const bad = await mismatches(root, log, files);
    record({
      area: 'watcher storm',
      tried: `${WRITES} writes over ${FILES} files in ~${((Date.now() - started) / 1000).toFixed(1)} s of writing (seeded)`,
      times: WRITES,
      happened: `${messages} module:updated broadcasts carrying ${entries} entries; ${bad.length} files whose last broadcast differs from disk`,
      pass: bad.length === 0 && messages < WRITES / 4,
    });
    expect(bad).toEqual([]);
    expect(messages).toBeLessThan(WRITES / 4);
    expect(entries).toBeLessThan(WRITES);
  }, 120_000);

  it('editor saves (write temp then rename, backup-then-write), and same-content saves say nothing', async () => {
    const before = log.mark();
    const saves = 60;
    for (let i = 0; i < saves; i++) {
      const f = files[i % 12]!;
      const file = join(root, f);
      if (i % 2 === 0) {
        // VS Code / JetBrains style: temp file beside, then rename over.
        await writeFile(`${file}.tmp-${i}`, `export const saved = ${i};\n`);
        await rename(`${file}.tmp-${i}`, file);
      } else {
        // vim style: move the old file to a backup, write a new one, drop the backup.
        await rename(file, `${file}~`);
        await writeFile(file, `export const saved = ${i};\n`);
        await unlink(`${file}~`);
      }
      if (i % 6 === 5) await sleep(30);
    }
    await log.quiet();
    const bad = await mismatches(root, log, files);
    const tempBroadcast = [...log.last.keys()].filter((p) => !p.endsWith('.mjs'));
    const mid = log.mark();
    // Saving identical content (atomically) changes no hash: nothing to broadcast.
    for (const f of files.slice(0, 12)) {
      const file = join(root, f);
      await writeFile(`${file}.tmp-same`, await readFile(file));
      await rename(`${file}.tmp-same`, file);
    }
    await log.quiet();
    const sameContent = log.messages - mid.messages;
    record({
      area: 'watcher storm',
      tried: 'editor saves over 12 files: temp+rename and backup+rewrite; then 12 same-content saves',
      times: saves + 12,
      happened: `${mid.messages - before.messages} broadcasts for ${saves} saves; ${bad.length} wrong final states; ${tempBroadcast.length} temp/backup names broadcast; ${sameContent} broadcasts for same-content saves`,
      pass: bad.length === 0 && tempBroadcast.length === 0 && sameContent === 0,
    });
    expect(bad).toEqual([]);
    expect(tempBroadcast).toEqual([]);
    expect(sameContent).toBe(0);
  }, 120_000);

  it('a second save 30 ms after the first (an editor autosave, a formatter on save) is announced', async () => {
    const targets = files.filter((f) => f.startsWith('/src/d7/'));
    for (const [i, f] of targets.entries()) {
      await writeFile(join(root, f), `export const first = ${i};\n`);
      await sleep(30);
      await writeFile(join(root, f), `export const second = ${i};\n`);
      await sleep(200);
    }
    await log.quiet();
    const bad = await mismatches(root, log, targets);
    record({
      area: 'watcher storm',
      tried: `${targets.length} files saved twice, 30 ms apart (one file at a time)`,
      times: targets.length,
      happened: `${targets.length - bad.length}/${targets.length} second saves announced with their hash${bad.length ? ` (e.g. ${bad[0]})` : ''}`,
      pass: bad.length === 0,
    });
    expect(bad).toEqual([]);
  }, 60_000);

  it('a directory renamed: old paths removed, new paths announced with their hashes', async () => {
    const moved = files.filter((f) => f.startsWith('/src/d3/'));
    await rename(join(root, 'src/d3'), join(root, 'src/d3-renamed'));
    await log.quiet();
    const renamed = moved.map((f) => f.replace('/src/d3/', '/src/d3-renamed/'));
    const bad = await mismatches(root, log, [...moved, ...renamed]);
    const notRemoved = moved.filter((f) => log.last.get(f) !== 'removed');
    record({
      area: 'watcher storm',
      tried: `a watched directory with ${moved.length} modules renamed`,
      times: 1,
      happened: `${moved.length - notRemoved.length}/${moved.length} old paths got module:removed; ${bad.length} wrong final states`,
      pass: bad.length === 0 && notRemoved.length === 0,
    });
    expect(notRemoved).toEqual([]);
    expect(bad).toEqual([]);
  }, 60_000);

  it('cache folders created and removed while watched (.vite, node_modules/.cache, a plain folder)', async () => {
    const rounds = size(5, 20);
    const plainTouched: string[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const folder of ['.vite/deps', 'node_modules/.cache/tool', 'src/generated']) {
        await mkdir(join(root, folder), { recursive: true });
        for (let i = 0; i < 20; i++) {
          await writeFile(join(root, folder, `chunk-${i}.mjs`), `export default ${r * 100 + i};\n`);
          if (folder === 'src/generated') plainTouched.push(`/${folder}/chunk-${i}.mjs`);
        }
      }
      await sleep(r % 2 === 0 ? 5 : 100); // sometimes inside one debounce window, sometimes not
      for (const folder of ['.vite', 'node_modules/.cache', 'src/generated']) await rm(join(root, folder), { recursive: true, force: true });
      await sleep(r % 2 === 0 ? 100 : 5);
    }
    await log.quiet();
    const bad = await mismatches(root, log, plainTouched);
    const hidden = [...log.last.keys()].filter((p) => p.includes('/.vite/') || p.includes('/.cache/'));
    record({
      area: 'watcher storm',
      tried: `${rounds} rounds of creating and deleting .vite/deps, node_modules/.cache/tool and src/generated (20 modules each)`,
      times: rounds * 3,
      happened: `${bad.length} wrong final states (every src/generated module ends removed or unannounced); ${hidden.length} broadcasts for dot/cache folders; relay still answering`,
      pass: bad.length === 0 && hidden.length === 0,
    });
    expect(bad).toEqual([]);
    expect(hidden).toEqual([]);
  }, 120_000);

  it('files deleted and recreated, slowly and within one debounce window', async () => {
    const targets = files.filter((f) => f.startsWith('/src/d5/'));
    const removedSeen: string[] = [];
    for (const [i, f] of targets.entries()) {
      await unlink(join(root, f));
      if (i % 2 === 0) {
        await log.quiet(300, 5_000); // long enough for the removal to be broadcast
        if (log.last.get(f) === 'removed') removedSeen.push(f);
      }
      await writeFile(join(root, f), `export const recreated = ${i};\n`);
    }
    // And some deleted for good.
    const gone = files.filter((f) => f.startsWith('/src/d6/'));
    for (const f of gone) await unlink(join(root, f));
    await log.quiet();
    const bad = await mismatches(root, log, [...targets, ...gone]);
    const goneNotRemoved = gone.filter((f) => log.last.get(f) !== 'removed');
    const slow = Math.ceil(targets.length / 2);
    record({
      area: 'watcher storm',
      tried: `${targets.length} files deleted and recreated (half with a pause), ${gone.length} deleted for good`,
      times: targets.length + gone.length,
      happened: `${removedSeen.length}/${slow} paused deletions broadcast as module:removed; ${gone.length - goneNotRemoved.length}/${gone.length} permanent deletions removed; ${bad.length} wrong final states`,
      pass: bad.length === 0 && goneNotRemoved.length === 0 && removedSeen.length === slow,
    });
    expect(removedSeen.length).toBe(slow);
    expect(goneNotRemoved).toEqual([]);
    expect(bad).toEqual([]);
    // Every module left on disk is served with the hash last broadcast.
    expect((await walk(root)).length).toBeGreaterThan(0);
  }, 120_000);
});
