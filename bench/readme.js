#!/usr/bin/env node
// @ts-check
/**
 * The README's performance figures, rendered from one committed full run (its JSON in
 * bench/results/), so they cannot drift from what was measured: `npm run bench` rewrites the
 * block after a full run, `node bench/readme.js bench/results/<date>.json` from a given one,
 * and a test checks that the README's block is exactly what the named JSON renders.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { quietLine, quietness } from './report.js';

export const START = '<!-- bench:start -->';
export const END = '<!-- bench:end -->';

const GRAPHS = ['three', 'lodash-es', 'app', 'lucide'];

const show = (/** @type {unknown} */ v) => (v == null || Number.isNaN(v) ? '–' : String(v));
/** A figure against its target: bold when met, ✗ when missed, plain when the target does not apply. */
const judged = (/** @type {number | null | undefined} */ v, /** @type {((v: number) => boolean) | null} */ met) => {
  if (v == null || Number.isNaN(v)) return '–';
  if (!met) return String(v);
  return met(v) ? `**${v}**` : `${v} ✗`;
};

/**
 * @param {any} results a full run's JSON (with its `summary`)
 * @param {string} jsonPath where that JSON is committed, relative to the repository
 * @returns {string} the lines between the markers
 */
export function renderReadmeBlock(results, jsonPath) {
  const s = results.summary;
  const mc = results.machine;
  const graphs = GRAPHS.filter((g) => s.modes[g]);
  const mods = (/** @type {string} */ g) => results.graphs[g]?.modules;
  const ms = (/** @type {string} */ g, /** @type {string} */ key) => {
    const m = s.modes[g]?.[key];
    return m && m.n > 0 ? Math.round(m.importMs) : '–';
  };
  const pair = (/** @type {string} */ g, /** @type {string[]} */ keys) => keys.map((k) => ms(g, k)).join(' / ');
  const load = `${show(mc.loadAverageAtStart?.[0])} → ${show(mc.loadAverageAtEnd?.[0])}`;
  const lines = [
    `\`npm run bench\` (this run: \`${results.command}\`, ${Math.round(results.durationMs / 60_000)} min;`,
    '`npm run bench -- --quick` is a short smoke run) loads four module graphs in Debian\'s Chromium, every mode',
    `interleaved: \`three\`'s \`src/\` (${show(mods('three'))} modules), \`lodash-es\` (${show(mods('lodash-es'))}), an app-shaped graph written by the`,
    `bench (${show(mods('app'))} page modules, more inside a module Worker, two JSON files and a stylesheet) and \`lucide\``,
    `(${show(mods('lucide'))} modules, its ESM entry re-exports every icon). It compares modrelay's default store and`,
    "`store: 'cache-storage'` with the browser's own immutable cache (the floor), plain HTTP with ETag/304,",
    `Vite's dev server and a Caddy proxy in the same run. This run: ${results.date.slice(0, 16).replace('T', ' ')} UTC, commit \`${show(results.commit)}\`,`,
    `${mc.cpu} × ${mc.cores} cores, ${mc.memoryGB} GB, Node ${String(mc.node).replace(/^v/, '')}, Chromium ${String(mc.chromium).split('.')[0]}, Vite ${mc.vite}, load average ${load}.`,
    quietLine(s.quiet ?? quietness(results)),
    `([\`${jsonPath}\`](${jsonPath}) has every sample; \`bench/results/latest.md\` has p95 and navigation → ready for every mode):`,
    '',
    '![page-load medians](bench/results/latest.svg)',
    '',
    `| \`import()\` of the whole graph, median ms | ${graphs.join(' | ')} |`,
    `| --- |${graphs.map(() => ' --- ').join('|')}|`,
  ];
  /** @type {[string, string[]][]} */
  const rows = [
    ['floor: browser HTTP cache, `immutable`', ['floor']],
    ['plain HTTP, no-cache + ETag: cold / warm (304 each)', ['http-cold', 'http-warm']],
    ['Vite dev server: cold / warm', ['vite-cold', 'vite-warm']],
    ['**modrelay, default store: first visit / warm reload / reload after one edit**', ['modrelay-first', 'modrelay-warm', 'modrelay-edit']],
    ['modrelay `cache-storage`: first visit / warm reload / reload after one edit', ['modrelay-cs-first', 'modrelay-cs-warm', 'modrelay-cs-edit']],
    ['Caddy proxy → HTTP: cold / warm', ['proxy-http-cold', 'proxy-http-warm']],
    ['Caddy proxy → modrelay default store: first visit / warm', ['proxy-modrelay-first', 'proxy-modrelay-warm']],
  ];
  for (const [label, keys] of rows) {
    const bold = label.startsWith('**');
    lines.push(`| ${label} | ${graphs.map((g) => (bold ? `**${pair(g, keys)}**` : pair(g, keys))).join(' | ')} |`);
  }
  const r = (/** @type {string} */ g, /** @type {string} */ key) => s.ratios[g]?.[key];
  lines.push('', `| ratio (same run), target | ${graphs.join(' | ')} |`, `| --- |${graphs.map(() => ' --- ').join('|')}|`);
  /** @type {[string, string, (g: string) => ((v: number) => boolean) | null][]} */
  const ratios = [
    ['default store warm / floor, median ≤ 1.2', 'modrelayWarmOverFloor', () => (v) => v <= 1.2],
    ['default store warm / floor, p95 ≤ 1.5', 'modrelayWarmP95OverFloor', () => (v) => v <= 1.5],
    ['default store warm / floor, navigation → ready, ≤ 1.25', 'modrelayWarmTotalOverFloor', () => (v) => v <= 1.25],
    ['Vite warm / default store warm, ≥ 5 (three), ≥ 8 (lucide)', 'viteWarmOverModrelayWarm',
      (g) => (g === 'three' ? (v) => v >= 5 : g === 'lucide' ? (v) => v >= 8 : null)],
    ['default store first visit / HTTP cold (navigation → loaded), ≤ 1', 'firstVisitOverHttpCold', () => (v) => v <= 1],
    ['the same through Caddy, ≤ 1', 'proxyFirstVisitOverProxyHttpCold', () => (v) => v <= 1],
    ['`cache-storage` warm / floor, median', 'cacheStorageWarmOverFloor', () => null],
  ];
  for (const [label, key, target] of ratios) lines.push(`| ${label} | ${graphs.map((g) => judged(r(g, key), target(g))).join(' | ')} |`);
  // Runs from before this figure existed render without its row.
  // Runs before the import's end was recorded measured from \`load\`, which a first visit's import outlasts.
  const from = graphs.map((g) => r(g, 'durableFrom')).find(Boolean) === 'import' ? 'graph imported' : '`load` (before the graph\'s import ends: the import counts)';
  if (graphs.some((g) => r(g, 'durableP50Ms') != null)) lines.push(`| default store first visit: ${from} → every file it loaded on disk (offline from then on), p50 / p95 ms, ≤ 1000 | ${graphs.map((g) => `${judged(r(g, 'durableP50Ms'), (v) => v <= 1000)} / ${judged(r(g, 'durableP95Ms'), (v) => v <= 1000)}`).join(' | ')} |`);
  /** `p50 / p95` of one tool's hot figures. @param {string} g @param {string} p50 @param {string} p95 */
  const hot = (g, p50, p95) => `${show(r(g, p50))} / ${show(r(g, p95))}`;
  /** ✓ when modrelay's is below Vite's, ✗ when not. @param {string} g @param {string} ours @param {string} vite */
  const below = (g, ours, vite) => (r(g, ours) != null && r(g, vite) != null ? (r(g, ours) < r(g, vite) ? ' ✓' : ' ✗') : '');
  lines.push(`| save → new code running in the page, p50 / p95 ms: default store (< Vite) | ${graphs.map((g) => `${hot(g, 'hotRunP50ModrelayMs', 'hotRunP95ModrelayMs')}${below(g, 'hotRunP95ModrelayMs', 'hotRunP95ViteMs')}`).join(' | ')} |`);
  lines.push(`| the same, \`cache-storage\` / Vite HMR | ${graphs.map((g) => `${hot(g, 'hotRunP50CacheStorageMs', 'hotRunP95CacheStorageMs')} / ${hot(g, 'hotRunP50ViteMs', 'hotRunP95ViteMs')}`).join(' | ')} |`);
  lines.push(`| save → update event p95 ms (\`modrelay:update\` once the copy is replaced / \`vite:beforeUpdate\` on arrival) | ${graphs.map((g) => `${show(r(g, 'hotP95ModrelayMs'))} / ${show(r(g, 'hotP95ViteMs'))}`).join(' | ')} |`);
  const register = results.register;
  if (register && !register.error) {
    lines.push('', `| app graph, ${register.hogs0?.n ?? '–'} warm reloads each, ms: p50 / p99 | registerModuleRelay() (≤ 10 / ≤ 50) | import() of the client | navigation → app imported |`, '| --- | --- | --- | --- |');
    for (const [key, label] of /** @type {const} */ ([['hogs0', 'quiet'], ['hogs2', 'two CPU hogs']])) {
      const x = register[key];
      if (!x) continue;
      const reg = `${judged(x.registerMs.p50, (v) => v <= 10)} / ${judged(x.registerMs.p99, (v) => v <= 50)}`;
      lines.push(`| ${label} | ${reg} | ${x.clientImportMs.p50} / ${x.clientImportMs.p99} | ${x.totalMs.p50} / ${x.totalMs.p99} |`);
    }
  } else if (register?.error) {
    lines.push('', `registerModuleRelay() over warm reloads: failed (${register.error}).`);
  }
  return lines.join('\n');
}

/** `readme` with the block between the markers replaced. @param {string} readme @param {string} block */
export function replaceBlock(readme, block) {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start === -1 || end < start) throw new Error(`README.md has no ${START} … ${END} block`);
  return `${readme.slice(0, start + START.length)}\n${block}\n${readme.slice(end)}`;
}

/** The JSON a README block names (its first link into bench/results/). @param {string} readme */
export function namedJson(readme) {
  const block = readme.slice(readme.indexOf(START), readme.indexOf(END));
  return /\]\((bench\/results\/[^)]+\.json)\)/.exec(block)?.[1] ?? null;
}

/** Rewrites the README's block from the run committed at `jsonPath` (relative to the repository). @param {string} root @param {string} jsonPath */
export async function writeReadme(root, jsonPath) {
  const results = JSON.parse(await readFile(path.join(root, jsonPath), 'utf8'));
  const file = path.join(root, 'README.md');
  await writeFile(file, replaceBlock(await readFile(file, 'utf8'), renderReadmeBlock(results, jsonPath)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const jsonPath = process.argv[2];
  if (!jsonPath) {
    console.error('usage: node bench/readme.js bench/results/<date>.json');
    process.exit(2);
  }
  await writeReadme(root, path.relative(root, path.resolve(jsonPath)));
  console.log(`README.md: performance block rendered from ${jsonPath}`);
}
