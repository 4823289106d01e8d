import { render } from './lib/render.mjs';
import { shapes } from './lib/shapes/index.mjs';

render(document.getElementById('shapes'), shapes);

// Which modules went through the service worker (its answer's `x-modrelay-source` header,
// cache | relay | network, is in DevTools → Network).
const table = document.getElementById('sources');
for (const entry of performance.getEntriesByType('resource')) {
  if (!entry.name.endsWith('.mjs')) continue;
  const row = table.insertRow();
  row.insertCell().textContent = new URL(entry.name).pathname;
  row.insertCell().textContent = entry.workerStart > 0 ? 'service worker' : 'HTTP (before the worker)';
}
