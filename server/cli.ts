import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { MODULE_TYPES } from '../protocol/file-types.js';
import { exposureNote } from './hosts.js';
import { RELAY_DEFAULTS, SERVE_DEFAULTS } from './options.js';
import { createRelay } from './relay.js';
import { serve } from './serve.js';
import { assetFile, MISSING_BUILD } from './assets.js';

const HELP = `modrelay — load browser ES modules through a Service Worker and a WebSocket relay.

Usage:
  modrelay relay <root> [options]   only the WebSocket relay, for apps with their own HTTP server
  modrelay serve <root> [options]   static HTTP for <root> + /sw.js + /@modrelay/client.mjs + the relay
  modrelay --help

Options:
  --port <n>            relay: WebSocket port (default ${RELAY_DEFAULTS.port}); serve: HTTP port (default ${SERVE_DEFAULTS.port}); 0 = any free port
  --relay-port <n>      serve only: WebSocket port of the relay (default ${SERVE_DEFAULTS.relayPort})
  --host <addr>         interface to listen on (default ${RELAY_DEFAULTS.host}: loopback only)
  --allow-origin <url>  also accept sockets from this page origin, e.g. http://localhost:3000;
                        repeatable (default: loopback origins of the relay's port and, under serve, the HTTP port)
  --allowed-host <name> also accept requests whose Host is this name (".example.com": and its subdomains); repeatable
                        (default: IP addresses, localhost, *.localhost and the --host name: DNS-rebinding protection)
  --ext <.ext>          serve files with this extension, replacing the default list; repeatable
                        (default ${RELAY_DEFAULTS.extensions.join(' ')})
  --assets none         serve modules only (${Object.keys(MODULE_TYPES).join(' ')}), no other files
  --max-file-size <n>   largest file the relay sends, in bytes; larger ones go over HTTP only (default ${RELAY_DEFAULTS.maxFileSize})
  --debounce <ms>       watcher burst coalescing window in ms (default ${RELAY_DEFAULTS.debounceMs})
  --no-watch            do not watch <root> (no module:updated / module:removed broadcasts)
  --no-prewarm          do not read <root>'s modules ahead at start-up (by default up to 5,000 are)
  -h, --help            show this help

Dotfiles, dot-folders, keys and certificates (*.pem *.crt *.key id_*) and paths leaving <root> are never served;
node_modules is served but not watched.
`;

class UsageError extends Error {}

function assetsFlag(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'none') return false;
  if (value === 'all') return true;
  throw new UsageError(`--assets takes "none" or "all", got "${value}"`);
}

/** A flag's number; undefined when the flag is absent (the API fills defaults and checks ranges). */
function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

const FLAGS = {
  port: { type: 'string' },
  'relay-port': { type: 'string' },
  host: { type: 'string' },
  'allow-origin': { type: 'string', multiple: true },
  'allowed-host': { type: 'string', multiple: true },
  assets: { type: 'string' },
  ext: { type: 'string', multiple: true },
  'max-file-size': { type: 'string' },
  debounce: { type: 'string' },
  'no-watch': { type: 'boolean' },
  'no-prewarm': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof FLAGS }>>['values'];

/** The command line, checked: null when it asks for help. */
function parseCommandLine(argv: string[]): { command: 'relay' | 'serve'; root: string; values: Flags } | null {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: FLAGS });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return null;
  const [command, root, ...extra] = positionals;
  if (command !== 'relay' && command !== 'serve') {
    throw new UsageError(command === undefined ? 'missing command: relay or serve' : `unknown command "${command}"`);
  }
  if (root === undefined) throw new UsageError(`missing <root>: modrelay ${command} <root>`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (command === 'relay' && values['relay-port'] !== undefined) throw new UsageError('--relay-port is for serve; use --port');
  return { command, root, values };
}

async function main(argv: string[]): Promise<void> {
  const line = parseCommandLine(argv);
  if (!line) {
    process.stdout.write(HELP);
    return;
  }
  const { command, root, values } = line;
  // Only what was given: createRelay() and serve() fill the defaults and check the values.
  const common = {
    root,
    host: values.host,
    allowOrigins: values['allow-origin'],
    allowedHosts: values['allowed-host'],
    assets: assetsFlag(values.assets),
    extensions: values.ext,
    maxFileSize: integer('max-file-size', values['max-file-size']),
    debounceMs: integer('debounce', values.debounce),
    watch: !values['no-watch'],
    prewarm: !values['no-prewarm'],
  };
  // For messages only.
  const host = values.host ?? RELAY_DEFAULTS.host;
  const shownRoot = resolve(root);
  const port = integer('port', values.port);
  const exposure = exposureNote(host, values['allowed-host'] ?? []);
  if (exposure) console.warn(`modrelay: ${exposure}`);

  if (command === 'relay') {
    const relay = await start(() => createRelay({ ...common, port }), host, port ?? RELAY_DEFAULTS.port);
    console.log(`modrelay relay: ${relay.url} serving ${shownRoot}`);
    return stopOnSignals(relay.close);
  }
  const relayPort = integer('relay-port', values['relay-port']);
  if (assetFile('sw.js') === null || assetFile('client.mjs') === null) console.warn(`modrelay: warning: ${MISSING_BUILD}`);
  const server = await start(() => serve({ ...common, port, relayPort }), host, port ?? SERVE_DEFAULTS.port, relayPort ?? SERVE_DEFAULTS.relayPort);
  console.log(`modrelay serve: ${server.url} (relay ${server.relay.url}) serving ${shownRoot}`);
  console.log(
    [
      `  Open ${server.url} — a page whose boot script calls registerModuleRelay() loads its modules through the Service Worker.`,
      '  DevTools → Network: add the x-modrelay-source response-header column (relay on a first load, cache on reloads).',
      '  DevTools → Application: Service workers (sw.js), Cache storage (modrelay-v1), IndexedDB (modrelay → modules).',
      '  Edit a module under the root: the page gets modrelay:update. Ctrl-C stops.',
    ].join('\n'),
  );
  stopOnSignals(server.close);
}

function stopOnSignals(close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`modrelay: ${signal}, shutting down`);
    // A close that hangs (a stuck socket) must not keep the process alive.
    setTimeout(() => process.exit(0), 2000).unref();
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** Starts a server, turning the errors a user can fix into one clear line. */
async function start<T>(run: () => Promise<T>, host: string, ...ports: number[]): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const port = (error as { port?: number }).port ?? ports.join(' or ');
    if (code === 'EADDRINUSE') throw new UsageError(`port ${port} on ${host} is already in use; choose another with --port${ports.length > 1 ? ' / --relay-port' : ''}`, { cause: error });
    if (code === 'EACCES') throw new UsageError(`not allowed to listen on ${host}:${port}`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UsageError(`cannot listen on host ${host}`);
    if (error instanceof TypeError) throw new UsageError(error.message.replace(/^modrelay: /, ''));
    throw error;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`modrelay: ${error.message}\nRun \`modrelay --help\` for usage.`);
    process.exit(2);
  }
  console.error('modrelay: unexpected error:', error);
  process.exit(1);
});
