import { createHash } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../scripts/chromium.js';
import { removeRoot, tempRoot } from '../support/temp.js';
import { mulberry32, pick, type Random } from './prng.js';
import { record, size } from './record.js';
import { startRelayProcess, type RelayProcess } from './relay-process.js';
import { startSiteServer, type SiteServer } from './site.js';

/**
 * Issue 23: a soak with an oracle (`npm run soak`: ten minutes; `npm test`: one). Two tabs of one
 * app whose every file exports a version stamp; random edits (some while the worker is stopped,
 * some while the relay is down), reloads, worker stops (CDP), relay SIGKILL and restart, network
 * flaps. The oracle checks every load: its stamps are one moment of the file tree (the tree is
 * recorded after every single file write; a file saved less than IN_FLIGHT_MS before the load
 * and not announced yet may be old or new), none older than a change a page heard announced
 * before that load began, and with the network up it loads at all. Seeded: a rerun does the same.
 */
const SECONDS = size(60, 600);
const SEED = 23;
const FILES = ['m0.mjs', 'm1.mjs', 'm2.mjs', 'm3.mjs', 'm4.mjs', 'm5.mjs', 'm6.mjs', 'm7.mjs', 'data.json'];
const LOAD_TIMEOUT_MS = 20_000;
/** How long after a save a load may still miss it (the watcher's 20 ms debounce, a read, the notice), with margin for a busy machine. */
const IN_FLIGHT_MS = 250;

type Tree = Record<string, number>;

const content = (file: string, stamp: number) => (file.endsWith('.json') ? `{"stamp":${stamp}}\n` : `export const stamp = ${stamp};\n`);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const APP = `${FILES.map((file, i) => (file.endsWith('.json')
  ? `import f${i} from './${file}' with { type: 'json' };`
  : `import { stamp as f${i} } from './${file}';`)).join('\n')}
export const stamps = { ${FILES.map((file, i) => `'${file}': ${file.endsWith('.json') ? `f${i}.stamp` : `f${i}`}`).join(', ')} };
`;

/** The boot reports each load (its navigation start and stamps) and each update on the console. */
const BOOT = `const say = (kind, data) => console.debug('SOAK ' + kind + ' ' + JSON.stringify(data));
addEventListener('modrelay:update', (event) => say('update', { hash: event.detail.hash, at: performance.timeOrigin + performance.now() }));
try {
  const { registerModuleRelay } = await import('/@modrelay/client.mjs');
  await registerModuleRelay();
} catch {}
try {
  const { stamps } = await import('/app.mjs');
  say('load', { start: performance.timeOrigin, stamps });
} catch (error) {
  say('load', { start: performance.timeOrigin, error: String(error) });
}
`;

interface Load {
  tab: number;
  start: number;
  stamps?: Tree;
  error?: string;
  online: boolean;
}

interface Heard {
  hash: string;
  at: number;
}

/** A tab and the console lines it printed (a reload keeps the page object). */
class Tab {
  readonly loads: Load[] = [];
  /** modrelay's own console lines, timed: what a violation's report shows. */
  readonly lines: { at: number; text: string }[] = [];
  constructor(readonly page: Page, readonly index: number, heard: Heard[], online: () => boolean) {
    page.on('console', (message) => {
      const match = /^SOAK (load|update) (.*)$/.exec(message.text());
      if (!match) return void this.lines.push({ at: Date.now(), text: message.text().slice(0, 200) });
      const data = JSON.parse(match[2]!);
      if (match[1] === 'update') heard.push(data as Heard);
      else this.loads.push({ tab: index, ...data, online: online() });
    });
  }

  /**
   * Reloads (or opens `url`) and waits for the load's report: null when none came (the network
   * error page, or a hang). Not for the `load` event: the boot's imports run after it, and an
   * edit made before they end would meet a load still in progress.
   */
  async reload(url?: string): Promise<Load | null> {
    const asked = Date.now();
    const before = this.loads.length;
    const options = { waitUntil: 'commit', timeout: LOAD_TIMEOUT_MS } as const;
    await (url ? this.page.goto(url, options) : this.page.reload(options)).catch(() => undefined);
    const until = Date.now() + LOAD_TIMEOUT_MS;
    while (Date.now() < until) {
      const load = this.loads.slice(before).find((l) => l.start >= asked - 50);
      if (load) return load;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return null;
  }
}

describe('soak with an oracle (browser)', () => {
  let browser: Browser;
  let root: string;
  let server: SiteServer;
  let relay: RelayProcess | null = null;
  let relayPort = 0;
  /** The relay in a child process, on its first port once it has one; the pages come from the site server's origin. */
  const startRelay = () => startRelayProcess(root, ['--allow-origin', server.origin, ...(relayPort ? ['--port', String(relayPort)] : [])]);

  beforeAll(async () => {
    root = await tempRoot({
      'index.html': '<!doctype html><meta charset="utf-8"><title>soak</title><script type="module" src="/boot.mjs"></script>\n',
      'boot.mjs': BOOT,
      'app.mjs': APP,
      ...Object.fromEntries(FILES.map((file) => [file, content(file, 0)])),
    }, { prefix: 'modrelay-soak-' });
    server = await startSiteServer(root, () => `ws://127.0.0.1:${relayPort}/`, () => false, true);
    relay = await startRelay();
    relayPort = relay.port;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await relay?.kill('SIGKILL');
    await server?.close();
    await removeRoot(root);
  });

  it(`${SECONDS} s of edits, reloads, worker stops, relay kills and network flaps over two tabs: every load one snapshot, none older than announced`, async () => {
    const random: Random = mulberry32(SEED);
    const tree: Tree = Object.fromEntries(FILES.map((file) => [file, 0]));
    const moments: Tree[] = [{ ...tree }];
    const momentAt: number[] = [Date.now()];
    const edits: { file: string; hash: string; at: number }[] = [];
    /** What the soak did, timed: a violation's report shows what came before it. */
    const actions: { at: number; what: string }[] = [];
    const act = (what: string) => actions.push({ at: Date.now(), what });
    const stampOf = new Map<string, { file: string; stamp: number }>(FILES.map((file) => [sha256(content(file, 0)), { file, stamp: 0 }]));
    const heard: Heard[] = [];
    let online = true;
    const context: BrowserContext = await browser.newContext();
    const tabs: Tab[] = [];
    for (let i = 0; i < 2; i++) {
      const tab = new Tab(await context.newPage(), i, heard, () => online);
      tabs.push(tab);
      expect((await tab.reload(server.url))?.stamps).toBeDefined();
    }
    const counts = { loadsInFlight: 0, mixedInFlight: 0, edits: 0, editsWorkerStopped: 0, editsRelayDown: 0, reloads: 0, stops: 0, kills: 0, flaps: 0, failedOffline: 0 };
    let stamp = 0;
    let workerStopped = false;
    let relayBackIn = 0;
    let onlineIn = 0;

    const edit = async () => {
      stamp++;
      const files = [...FILES].sort(() => random() - 0.5).slice(0, 1 + Math.floor(random() * 3));
      for (const file of files) {
        const text = content(file, stamp);
        stampOf.set(sha256(text), { file, stamp });
        // As editors save: a temp file renamed over the old one (never a half-written file).
        await writeFile(join(root, `.${file}.tmp`), text);
        await rename(join(root, `.${file}.tmp`), join(root, file));
        tree[file] = stamp;
        moments.push({ ...tree });
        momentAt.push(Date.now());
        edits.push({ file, hash: sha256(text), at: Date.now() });
      }
      act(`edit ${files.join(' ')} → ${stamp}`);
      counts.edits++;
      if (workerStopped) counts.editsWorkerStopped++;
      if (!relay) counts.editsRelayDown++;
    };
    const stopWorker = async () => {
      const cdp = await context.newCDPSession(tabs[0]!.page);
      const closed = context.serviceWorkers().map((worker) => new Promise((resolve) => worker.once('close', resolve)));
      await cdp.send('ServiceWorker.enable');
      await cdp.send('ServiceWorker.stopAllWorkers');
      // Playwright's setOffline sent while a stopped worker's target is going away never settles.
      await Promise.race([Promise.all(closed), new Promise((resolve) => setTimeout(resolve, 3000))]);
      await cdp.detach();
      counts.stops++;
      workerStopped = true;
      act('worker stopped');
    };
    const setOnline = async (value: boolean) => {
      await context.setOffline(!value);
      online = value;
      act(value ? 'online' : 'offline');
    };

    const until = Date.now() + SECONDS * 1000;
    while (Date.now() < until) {
      if (!relay && --relayBackIn <= 0) {
        relay = await startRelay();
        act('relay up');
      }
      if (!online && --onlineIn <= 0) await setOnline(true);
      const r = random();
      if (r < 0.3) {
        await edit();
      } else if (r < 0.62) {
        const tab = pick(random, tabs);
        counts.reloads++;
        workerStopped = false;
        act(`reload tab ${tab.index}`);
        const load = await tab.reload();
        if (!load) tab.loads.push({ tab: tab.index, start: Date.now(), error: 'no load report', online });
      } else if (r < 0.7) {
        await stopWorker();
      } else if (r < 0.78) {
        if (relay) {
          await relay.kill('SIGKILL');
          relay = null;
          act('relay killed');
          relayBackIn = 2 + Math.floor(random() * 5);
          counts.kills++;
        }
      } else if (r < 0.84) {
        if (online) {
          await setOnline(false);
          onlineIn = 1 + Math.floor(random() * 3);
          counts.flaps++;
        }
      } else {
        await new Promise((resolve) => setTimeout(resolve, 50 + random() * 350));
      }
    }
    // Everything back: both tabs must show the tree as it is now.
    if (!relay) relay = await startRelay();
    if (!online) await setOnline(true);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const finals = await Promise.all(tabs.map((tab) => tab.reload()));
    await context.close();

    // ── the oracle ──
    const key = (t: Tree) => FILES.map((file) => t[file]).join(',');
    const snapshots = new Set(moments.map(key));
    const announced = heard.map((h) => ({ at: h.at, ...stampOf.get(h.hash) })).filter((h) => h.file !== undefined);
    const violations: string[] = [];
    const loads = tabs.flatMap((tab) => tab.loads).sort((a, b) => a.start - b.start);
    for (const load of loads) {
      if (!load.stamps) {
        if (load.online) violations.push(`tab ${load.tab} at ${load.start}: failed with the network up (${load.error})`);
        else counts.failedOffline++;
        continue;
      }
      // A save the relay has not announced yet when a load begins (its watcher waits up to its
      // debounce for the rest of a burst) may be in that load or not: the worker serves its copy
      // until the notice comes, and a file it holds no copy of is read new. Those files are left
      // out of the snapshot check, within IN_FLIGHT_MS of their save; every other file must be
      // one moment of the tree.
      const inFlight = FILES.filter((file) => edits.some((e) => e.file === file && e.at <= load.start && e.at > load.start - IN_FLIGHT_MS
        && !heard.some((h) => h.hash === e.hash && h.at <= load.start)));
      if (inFlight.length > 0) counts.loadsInFlight++;
      const settled = FILES.filter((file) => !inFlight.includes(file));
      const part = (t: Tree) => settled.map((file) => t[file]).join(',');
      // An in-flight file: its version before the first of those saves, or a later one up to the load's start.
      const treeAt = (at: number) => moments[Math.max(0, momentAt.findLastIndex((t) => t <= at))]!;
      const mixed = !moments.some((moment) => part(moment) === part(load.stamps!))
        || inFlight.some((file) => load.stamps![file]! < treeAt(load.start - IN_FLIGHT_MS)[file]! || load.stamps![file]! > treeAt(load.start)[file]!);
      if (inFlight.length > 0 && !snapshots.has(key(load.stamps))) counts.mixedInFlight++;
      if (mixed) {
        violations.push(`tab ${load.tab}: mixed snapshot ${key(load.stamps)}`);
        // The tree when the load began, and what led to it: the finding's first clue.
        const i = momentAt.findLastIndex((at) => at <= load.start);
        const since = load.start - 5000;
        console.error([
          `soak: tab ${load.tab} loaded ${key(load.stamps)} at ${load.start}; the tree was ${key(moments[Math.max(0, i)]!)}`,
          ...actions.filter((a) => a.at >= since && a.at <= load.start + 2000).map((a) => `  ${a.at - load.start} ms: ${a.what}`),
          ...tabs[load.tab]!.lines.filter((l) => l.at >= since && l.at <= load.start + 2000).map((l) => `  ${l.at - load.start} ms console: ${l.text}`),
        ].join('\n'));
      }
      for (const file of FILES) {
        const newest = Math.max(-1, ...announced.filter((a) => a.file === file && a.at < load.start).map((a) => a.stamp!));
        if (load.stamps[file]! < newest) violations.push(`tab ${load.tab}: ${file} at stamp ${load.stamps[file]}, older than ${newest} announced before the load began`);
      }
    }
    for (const [i, final] of finals.entries()) {
      if (!final?.stamps || key(final.stamps) !== key(tree)) violations.push(`tab ${i}'s last load, everything up: ${final?.stamps ? key(final.stamps) : final?.error ?? 'none'} instead of ${key(tree)}`);
    }
    const happened = `${loads.length} loads (${counts.failedOffline} failed while offline, as HTTP would), ${counts.edits} edits of ${FILES.length} files (${counts.editsWorkerStopped} while the worker was stopped, ${counts.editsRelayDown} while the relay was down), `
      + `${counts.stops} worker stops, ${counts.kills} relay kills, ${counts.flaps} network flaps; ${heard.length} updates heard; `
      + `${counts.loadsInFlight} loads began within ${IN_FLIGHT_MS} ms of a save not announced yet, ${counts.mixedInFlight} of them mixed that save's old and new files; violations: ${violations.length}${violations.length ? ` (${violations.slice(0, 3).join('; ')})` : ''}`;
    record({
      area: 'soak', tried: `${SECONDS} s, seed ${SEED}: two tabs of one app (8 modules and a JSON file, each exporting a version stamp), random edits, reloads, worker stops (CDP), relay SIGKILL and restart, network flaps; oracle: every load one moment of the file tree (a file saved < ${IN_FLIGHT_MS} ms before it and not announced yet may be either version), nothing older than a change announced before it began, loads with the network up succeed`,
      times: loads.length, happened, pass: violations.length === 0,
    });
    expect(violations).toEqual([]);
  }, (SECONDS + 120) * 1000);
});
