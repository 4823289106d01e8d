import { RELAY_PORT, SERVE_PORT } from '../../protocol/defaults.js';
import { FILE_TYPES, MODULE_TYPES } from '../../protocol/file-types.js';

/** How a flag's text becomes the option's value (server/cli/cli.ts reads them). */
export type FlagValue = 'integer' | 'string' | 'list' | 'on' | 'off' | 'assets' | 'proxy' | 'header';

export interface ServerOptionDeclaration {
  /** The default, as `--help` and the docs table show it. */
  shown: string;
  /** One line for `--help` and the docs table. */
  doc: string;
  /** Its flag, with a placeholder for its value (`--port <n>`); none: the Node API and the config file only. */
  flag?: string;
  /** How the flag's value is read. */
  value?: FlagValue;
  /** The one command whose flags include it (both by default). */
  only?: 'serve' | 'relay';
}

/**
 * Every option of `createRelay`, `serve` and `modrelay.config.*`, declared once. The CLI's flags
 * and `--help` (server/cli/cli.ts), the config file's keys (server/cli/config-file.ts) and the
 * options table of docs/integration.md (test/docs/options-tables.test.ts) come from here; the
 * values of the defaults are options.ts's `RELAY_DEFAULTS` / `SERVE_DEFAULTS`, which this
 * table's `shown` must name (a test checks that too).
 */
export const SERVER_OPTIONS = {
  port: {
    shown: `\`${SERVE_PORT}\` (serve), \`${RELAY_PORT}\` (relay)`, flag: '--port <n>', value: 'integer',
    doc: '`serve`: the HTTP port; `relay`: the WebSocket port; 0 = any free port',
  },
  relayPort: { shown: `\`${RELAY_PORT}\``, flag: '--relay-port <n>', value: 'integer', only: 'serve', doc: "`serve`: the relay's WebSocket port" },
  host: { shown: "`'127.0.0.1'`", flag: '--host <addr>', value: 'string', doc: 'interface to listen on (loopback only by default)' },
  allowOrigins: {
    shown: 'the loopback origins of its own ports', flag: '--allow-origin <url>', value: 'list',
    doc: 'also allow this page origin (its sockets, CORS, embedding files), e.g. http://localhost:3000; repeatable',
  },
  allowedHosts: {
    shown: 'IP addresses, `localhost`, `*.localhost`, the listen host', flag: '--allowed-host <name>', value: 'list',
    doc: 'also accept requests whose Host is this name (".example.com": and subdomains); repeatable',
  },
  extensions: {
    shown: Object.keys(FILE_TYPES).map((ext) => `\`${ext}\``).join(' '), flag: '--ext <.ext>', value: 'list',
    doc: 'serve files with this extension, replacing the default list; repeatable',
  },
  assets: { shown: '`all`', flag: '--assets <none|all>', value: 'assets', doc: `none: serve modules only (${Object.keys(MODULE_TYPES).join(' ')})` },
  maxFileSize: {
    shown: '`16777216` (16 MiB)', flag: '--max-file-size <n>', value: 'integer', doc: 'largest file the relay sends, in bytes; larger ones go over HTTP only',
  },
  debounceMs: {
    shown: '`20`', flag: '--debounce <ms>', value: 'integer',
    doc: 'watcher burst coalescing window in ms (the first change after a quiet period is flushed within 3 ms)',
  },
  watch: { shown: '`true`', flag: '--no-watch', value: 'off', doc: 'watch <root> and announce changes (`module:updated` / `module:removed`)' },
  prewarm: { shown: '`true`', flag: '--no-prewarm', value: 'off', doc: "read <root>'s files ahead at start-up (up to 5,000)" },
  maxPayload: { shown: '`4194304` (4 MiB)', doc: 'largest inbound WebSocket frame, in bytes' },
  maxInFlight: { shown: '`64`', doc: 'requests one connection may have unanswered at once' },
  stallTimeoutMs: { shown: '`30000`', doc: 'a client that reads nothing for this long while answers wait for it is closed' },
  spa: {
    shown: '`false`', flag: '--spa', value: 'on', only: 'serve',
    doc: 'history fallback: a GET navigation to a path with no file and no extension answers /index.html',
  },
  fallback: { shown: 'none', flag: '--fallback <file>', value: 'string', only: 'serve', doc: 'like `spa`, with this file instead of index.html' },
  proxy: {
    shown: 'none', flag: '--proxy <prefix=url>', value: 'proxy', only: 'serve',
    doc: 'send requests under prefix (HTTP and WebSocket) to url, e.g. /api=http://127.0.0.1:8888; repeatable',
  },
  https: {
    shown: '`false`', flag: '--https', value: 'on', only: 'serve',
    doc: "HTTPS, the relay at `wss://` on the same port (/ws/modules); a self-signed certificate kept in the user's cache folder unless --cert/--key",
  },
  cert: { shown: 'none', flag: '--cert <file>', value: 'string', only: 'serve', doc: 'PEM certificate for --https (with --key)' },
  key: { shown: 'none', flag: '--key <file>', value: 'string', only: 'serve', doc: 'PEM private key for --https (with --cert)' },
  headers: {
    shown: 'none', flag: '--header <"Name: value">', value: 'header',
    doc: "add this header to every answer for the root's files, the worker's included (`relay`: the headers the app's own server sends); repeatable",
  },
} as const satisfies Record<string, ServerOptionDeclaration>;

export type ServerOptionName = keyof typeof SERVER_OPTIONS;
