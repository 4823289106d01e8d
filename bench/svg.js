// @ts-check
/**
 * A small hand-written SVG bar chart of the page-load medians: one panel per graph,
 * one bar per mode, a whisker for min–max. No dependency, readable in any browser or
 * on GitHub.
 */

const COLORS = {
  floor: '#8a8a8a', http: '#4a7bd0', vite: '#8e5bd6', modrelay: '#2e9e5b', modrelayHttp: '#17603a', proxy: '#d9822b', proxyModrelay: '#1f6f78',
};
const BAR = 18;
const GAP = 6;
const LABEL_W = 300;
const PLOT_W = 420;
const VALUE_W = 90;
const WIDTH = LABEL_W + PLOT_W + VALUE_W;

/** @param {string} s */
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** @param {string} key */
function colorOf(key) {
  if (key === 'floor') return COLORS.floor;
  if (key.startsWith('proxy-modrelay')) return COLORS.proxyModrelay;
  if (key.startsWith('proxy-')) return COLORS.proxy;
  if (key.startsWith('modrelay-cs')) return COLORS.modrelayHttp;
  if (key.startsWith('modrelay')) return COLORS.modrelay;
  if (key.startsWith('vite')) return COLORS.vite;
  return COLORS.http;
}

/** @param {any} results */
export function renderChart(results) {
  const modes = results.summary.modes;
  const out = [];
  let y = 44;
  out.push(`<text x="10" y="20" font-weight="bold" font-size="14">modrelay — median import() ms, lower is better</text>`);
  out.push(`<text x="10" y="36" font-size="11" fill="#555">Chromium ${esc(results.machine.chromium ?? '')}, ${esc(results.date.slice(0, 10))}</text>`);
  for (const [graph, rows] of Object.entries(/** @type {Record<string, Record<string, any>>} */ (modes))) {
    const list = Object.entries(rows);
    const max = Math.max(1, ...list.map(([, m]) => (Number.isFinite(m.maxMs) ? m.maxMs : m.importMs ?? 0)));
    const scale = (/** @type {number} */ v) => (v / max) * PLOT_W;
    out.push(`<text x="10" y="${y + 14}" font-weight="bold" font-size="13">${esc(graph)} (${results.graphs[graph].modules} modules)</text>`);
    y += 22;
    for (const [key, m] of list) {
      const mid = y + BAR / 2 + 4;
      out.push(`<text x="${LABEL_W - 8}" y="${mid}" text-anchor="end" font-size="12">${esc(m.label)}</text>`);
      if (m.n > 0 && Number.isFinite(m.importMs)) {
        out.push(`<rect x="${LABEL_W}" y="${y}" width="${scale(m.importMs).toFixed(1)}" height="${BAR}" fill="${colorOf(key)}"/>`);
        if (Number.isFinite(m.minMs) && Number.isFinite(m.maxMs)) {
          const wy = y + BAR / 2;
          out.push(`<line x1="${(LABEL_W + scale(m.minMs)).toFixed(1)}" x2="${(LABEL_W + scale(m.maxMs)).toFixed(1)}" y1="${wy}" y2="${wy}" stroke="#222" stroke-width="1"/>`);
        }
        out.push(`<text x="${LABEL_W + PLOT_W + 6}" y="${mid}" font-size="12">${Math.round(m.importMs)} ms</text>`);
      } else {
        out.push(`<text x="${LABEL_W + 4}" y="${mid}" font-size="12" fill="#b00">failed</text>`);
      }
      y += BAR + GAP;
    }
    y += 12;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" font-family="system-ui, sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
${out.join('\n')}
</svg>
`;
}
