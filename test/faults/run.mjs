#!/usr/bin/env node
// `npm run test:faults`: runs every suite in test/faults at full size (the same suites run at
// quick size inside `npm test`), then writes docs/reliability.md from the rows they recorded.
// `node test/faults/run.mjs --quick` writes the report at the quick sizes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureChromium } from '../../scripts/chromium.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const quick = process.argv.includes('--quick');
const scratch = mkdtempSync(join(tmpdir(), 'modrelay-faults-report-'));
const results = join(scratch, 'rows.jsonl');
const started = new Date();

const vitest = spawnSync(join(repo, 'node_modules/.bin/vitest'), ['run', 'test/faults'], {
  cwd: repo,
  stdio: 'inherit',
  env: { ...process.env, MODRELAY_FAULTS: quick ? 'quick' : 'full', MODRELAY_FAULTS_RESULTS: results },
});

const rows = existsSync(results)
  ? readFileSync(results, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line))
  : [];
rmSync(scratch, { recursive: true, force: true });

// Other work may be in progress in the same checkout: say exactly what code was measured.
const git = (...args) => spawnSync('git', args, { cwd: repo, encoding: 'utf8' }).stdout?.trimEnd() ?? '';
const commit = git('rev-parse', '--short', 'HEAD') || 'unknown';
const dirty = git('status', '--porcelain', '--', 'server', 'sw', 'client', 'protocol', 'test/faults')
  .split('\n').filter(Boolean).map((line) => line.slice(3));
const chromium = spawnSync(ensureChromium(), ['--version'], { encoding: 'utf8' }).stdout?.trim() || 'unknown';
const cell = (text) => String(text).replaceAll('|', '\\|').replaceAll('\n', ' ');
const failed = rows.filter((r) => !r.pass);
const command = quick ? 'npm run build && node test/faults/run.mjs --quick' : 'npm run test:faults';

const report = `# Reliability: faults, hostile input and load

Produced by \`${command}\` (file written by \`test/faults/run.mjs\`; do not edit by hand).
Run started ${started.toISOString()} on commit ${commit}${dirty.length ? ` plus uncommitted changes to ${dirty.join(', ')}` : ''}, ${quick ? 'quick' : 'full'} sizes, vitest exit status ${vitest.status}.
Machine: Node ${process.version}, ${cpus().length} CPUs, ${chromium}.

Every row is a real run: real relay (in-process \`createRelay\` or \`node bin/modrelay.js relay\` in a child
process), real \`ws\` clients, real files in temp folders, real Chromium. Seeds are fixed, so a rerun
injects the same faults. \`npm test\` runs the same suites at quick sizes.

| Area | What was tried | Times | What happened | Result |
| --- | --- | ---: | --- | --- |
${rows.map((r) => `| ${cell(r.area)} | ${cell(r.tried)} | ${r.times} | ${cell(r.happened)} | ${r.pass ? 'pass' : '**FAIL**'} |`).join('\n')}

${failed.length === 0 ? 'Every row passed.' : `${failed.length} of ${rows.length} rows failed: the test is kept as it is and the failure is a finding for the part named in the row.`}

## How to read it

- **fault proxy** — \`test/faults/fault-proxy.ts\` sits between the browser and the static server and,
  for a seeded share of module responses, truncates the body under a full Content-Length, cuts a
  chunked body before its last chunk, resets the connection, or stalls for 1.5 s. The bootstrap
  (\`/sw.js\`, \`/@modrelay/client.mjs\`, the page) is not faulted. "Needless re-fetches" counts
  module bodies that travelled more than once per browser (relay frames seen by
  \`relay-tap.ts\` plus HTTP requests that were not themselves faulted).
- **relay faults** — the relay is \`modrelay relay\` in a child process; "cached bodies differing
  from disk" compares the sha-256 of every Cache Storage entry with the file.
- **hostile input** — \`fuzzer.ts\` (seeded) and the path-attack corpus in \`hostile-root.ts\`; every
  frame must get a reply (a \`module:error\` or its answer) or, for oversized / invalid UTF-8
  frames, a policy close (1009 / 1007) after which the fuzzer reconnects.
- **watcher storm** — after each storm and a quiet period, the last \`module:updated\` hash for each
  touched path must equal the sha-256 on disk, or be \`module:removed\` when the file is gone.
- **durability** — \`durability.test.ts\`: first visits followed, 1 s after \`load\` (3 s with two CPU
  hogs running), by the servers stopped, the browser offline, the worker stopped and a reload; a
  persistent profile whose browser is sent SIGKILL after a first visit, or in the middle of one
  (three.js, at moments spread over the worker's writes), then started again offline and online.
- **soak** — \`soak.test.ts\` (\`npm run soak\` runs it alone): two tabs of one app whose every file
  exports a version stamp; random edits (written as editors save: a temp file renamed over the
  old one), reloads, worker stops, relay SIGKILL and restart, network flaps, from a fixed seed.
  The file tree is recorded after every single write; a load passes when its stamps are one of
  those moments, none is older than a change either tab heard announced (\`modrelay:update\`)
  before the load began, and it loaded at all when the network was up. At the end, with
  everything back, both tabs must show the tree as it is.
- **tabs and origins** — two tabs of one origin, then a page on another port and raw upgrades with
  forged Origin headers.
- **serve over HTTP** — \`hardening-http.test.ts\`: \`modrelay serve\` (a child process running as
  \`nobody\` when the suite runs as root) while files are deleted, rewritten, appended to and made
  unreadable; keep-alive GETs, where a body that disagrees with its Content-Length breaks the next
  answer; forged Host headers on a non-default address; names the served-files policy refuses.
- **relay confinement / memory / watcher / fairness** — \`hardening-relay.test.ts\`: a folder
  exchanged with a symlink out of the root (\`renameat2\` from python3) while it is requested on
  both sides; clients that send and never read (RSS of a relay child process, bound 2 × idle + the
  largest module); the root deleted and made again; heavy manifests on one connection next to
  plain requests on another (round trips are reported, not asserted).
`;

writeFileSync(join(repo, 'docs/reliability.md'), report);
console.log(`\nwrote docs/reliability.md: ${rows.length} rows, ${failed.length} failed`);
process.exit(vitest.status ?? 1);
