import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_PATH } from '../../protocol/defaults.js';
import type { FilePath } from '../../protocol/wire.js';
import type { StoreStatus } from '../../protocol/page-messages.js';
import { corsHeaders, type Asker } from '../access/cross-origin.js';

/** What `GET /@modrelay/status` answers (serve's HTTP port and the relay's own). */
export interface StatusReport {
  version: string;
  root: string;
  /** Sockets open now. */
  clients: number;
  /** Files the relay read or handed out. */
  known: number;
  watcher: 'watching' | 'off';
  /** The last announced changes, newest first. */
  changes: { at: string; path: FilePath; change: 'updated' | 'removed' }[];
  /** What each connected worker said of its store: which one answers its pages' files, and why. */
  workers: (StoreStatus & { origin: string })[];
}


/**
 * The status as JSON, or as a small HTML page for a browser asking for one. What it shows
 * depends on who asks (cross-origin.ts): the whole report to the developer (same origin, a
 * typed URL, curl) and to allowed origins, which also get `originAllowed: true` and CORS (the
 * worker asks the relay's port why its socket does not connect, sw/relay/relay-state.ts); a foreign
 * origin gets a 403 with the version and `originAllowed: false` only — never the root folder or
 * the names of the files being edited — and no CORS, so a page there cannot read even that.
 */
export function sendStatus(request: IncomingMessage, response: ServerResponse, report: StatusReport, asker: Asker): void {
  response.setHeader('cache-control', 'no-store');
  corsHeaders(response, asker);
  if (asker.kind === 'foreign') return json(response, 403, { version: report.version, originAllowed: false });
  if (asker.kind === 'allowed') return json(response, 200, { ...report, originAllowed: true });
  if ((request.headers.accept ?? '').includes('text/html')) {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    return void response.end(html(report));
  }
  json(response, 200, report);
}

function json(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(`${JSON.stringify(body, null, 2)}\n`);
}

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function html(report: StatusReport): string {
  const workers = report.workers.map((w) => `<tr><td>${escape(w.origin)}</td><td>${w.store}: ${w.state}, answered by ${w.answering}</td><td>${escape(w.reason ?? '')}</td></tr>`).join('');
  const rows = report.changes.map((c) => `<tr><td>${escape(c.at)}</td><td>${c.change}</td><td><code>${escape(c.path)}</code></td></tr>`).join('');
  return `<!doctype html><meta charset="utf-8"><title>modrelay status</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem}td{padding:0 1rem 0 0}</style>
<h1>modrelay ${escape(report.version)}</h1>
<p>Root <code>${escape(report.root)}</code> · ${report.clients} client(s) connected · ${report.known} file(s) known · watcher ${report.watcher}</p>
<h2>Last changes</h2><table>${rows || '<tr><td>none yet</td></tr>'}</table>
<h2>Workers</h2><table>${workers || '<tr><td>none has said yet</td></tr>'}</table>
<p><a href="${STATUS_PATH}" type="application/json">JSON</a>: <code>curl ${STATUS_PATH}</code></p>`;
}
