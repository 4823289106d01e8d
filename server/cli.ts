import { cac, type Command } from 'cac';
import { resolve } from 'node:path';
import { MODULE_TYPES } from '../protocol/file-types.js';
import { assetFile, MISSING_BUILD } from './assets.js';
import { loadConfig } from './config-file.js';
import { exposureNote } from './hosts.js';
import { initPublicDir } from './init.js';
import { terminalLog, type Verbosity } from './log.js';
import { RELAY_DEFAULTS, SERVE_DEFAULTS, type ServeOptions } from './options.js';
import { createRelay } from './relay.js';
import { serve } from './serve.js';
import { VERSION } from './version.js';
import { closest, integer, last, list, parseHeaders, parseProxies, UsageError } from './cli-values.js';

/** Flags of `relay` and `serve` alike. Defaults are written here; the API fills them in. */
function shared(command: Command): Command {
  return command
    .option('--host <addr>', `interface to listen on (default ${RELAY_DEFAULTS.host}: loopback only)`)
    .option('--allow-origin <url>', 'also allow this page origin (its sockets, CORS, embedding files), e.g. http://localhost:3000; repeatable')
    .option('--allowed-host <name>', 'also accept requests whose Host is this name (".example.com": and subdomains); repeatable')
    .option('--ext <.ext>', `serve files with this extension, replacing the default list; repeatable (default: ${RELAY_DEFAULTS.extensions.join(' ')})`)
    .option('--assets <none|all>', `none: serve modules only (${Object.keys(MODULE_TYPES).join(' ')})`)
    .option('--max-file-size <n>', `largest file the relay sends, in bytes (default ${RELAY_DEFAULTS.maxFileSize}); larger ones go over HTTP only`)
    .option('--debounce <ms>', `watcher burst coalescing window (default ${RELAY_DEFAULTS.debounceMs})`)
    .option('--no-watch', 'do not watch <root> (no module:updated / module:removed broadcasts)')
    .option('--no-prewarm', "do not read <root>'s files ahead at start-up (by default up to 5,000 are)")
    .option('--config <file>', 'options from this file (default: modrelay.config.{js,mjs,json} in <root>); flags win')
    .option('--quiet', 'print only the start-up line and errors')
    .option('--verbose', 'also print every request')
    .example((bin) => `  ${bin} ${command.name} ./public --port 0`);
}

/** The command the line chose, set by its action once cac checked flags and arguments. */
let chosen: { name: 'serve' | 'relay' | 'init'; target: string; flags: Flags } | undefined;
const choose = (name: 'serve' | 'relay' | 'init') => (target: string, flags: Flags) => { chosen = { name, target, flags }; };

const cli = cac('modrelay');
shared(cli.command('serve <root>', 'a dev server for <root>: static HTTP, /sw.js, /@modrelay/client.mjs and the relay'))
  .option('--port <n>', `HTTP port (default ${SERVE_DEFAULTS.port}; 0 = any free port)`)
  .option('--relay-port <n>', `WebSocket port of the relay (default ${SERVE_DEFAULTS.relayPort})`)
  .option('--spa', 'history fallback: a GET navigation to a path with no file and no extension answers /index.html')
  .option('--fallback <file>', 'like --spa, with this file instead of index.html')
  .option('--proxy <prefix=url>', 'send requests under prefix (HTTP and WebSocket) to url, e.g. /api=http://127.0.0.1:8888; repeatable')
  .option('--header <"Name: value">', 'add this header to every answer; repeatable')
  .option('--open', 'open the page in the default browser')
  .action(choose('serve'));
shared(cli.command('relay <root>', 'only the WebSocket relay, for apps with their own HTTP server'))
  .option('--port <n>', `WebSocket port (default ${RELAY_DEFAULTS.port}; 0 = any free port)`)
  .action(choose('relay'));
cli.command('init <public-dir>', "write modrelay's worker (sw.js) and client (modrelay-client.mjs) into an app's public folder")
  .example((bin) => `  ${bin} init ./public`)
  .action(choose('init'));
cli.help((sections) => [
  // cac shows the default of a --no- flag's option as "(default: true)": say nothing instead.
  ...sections.map((section) => ({ ...section, body: section.body.replace(/ \(default: true\)/g, '') })),
  { title: 'Never served', body: '  dotfiles and dot-folders, keys and certificates (*.pem *.crt *.key id_*), paths leaving <root>;\n  node_modules is served but not watched.' },
]);
cli.version(VERSION);

type Flags = Record<string, unknown>;

/** The command line's options, exactly what was given (the API fills in defaults and checks ranges). */
function options(root: string, flags: Flags): ServeOptions {
  const assetsFlag = last(flags.assets);
  const assets = assetsFlag === undefined ? undefined : assetsFlag === 'none' ? false : assetsFlag === 'all' ? true : null;
  if (assets === null) throw new UsageError(`--assets takes "none" or "all", got "${String(assetsFlag)}"`);
  const picked: ServeOptions = {
    root,
    host: last(flags.host) as string | undefined,
    allowOrigins: list(flags.allowOrigin),
    allowedHosts: list(flags.allowedHost),
    extensions: list(flags.ext),
    assets,
    maxFileSize: integer('max-file-size', flags.maxFileSize),
    debounceMs: integer('debounce', flags.debounce),
    watch: flags.watch === false ? false : undefined,
    prewarm: flags.prewarm === false ? false : undefined,
    port: integer('port', flags.port),
    relayPort: integer('relay-port', flags.relayPort),
    spa: flags.spa === true ? true : undefined,
    fallback: last(flags.fallback) as string | undefined,
    proxy: flags.proxy === undefined ? undefined : parseProxies(list(flags.proxy)!),
    headers: flags.header === undefined ? undefined : parseHeaders(list(flags.header)!),
  };
  return Object.fromEntries(Object.entries(picked).filter(([, value]) => value !== undefined)) as unknown as ServeOptions;
}

async function run(command: 'serve' | 'relay', root: string, flags: Flags): Promise<void> {
  const verbosity: Verbosity = flags.quiet ? 'quiet' : flags.verbose ? 'verbose' : 'normal';
  const log = terminalLog(verbosity);
  const fromFile = await start(() => loadConfig(resolve(root), last(flags.config) as string | undefined), '', 0);
  const merged: ServeOptions = { ...fromFile, ...options(root, flags), log };
  const host = merged.host ?? RELAY_DEFAULTS.host;
  const exposure = exposureNote(host, merged.allowedHosts ?? []);
  if (exposure) log.warn(exposure);
  if (command === 'relay') {
    const relay = await start(() => createRelay({ ...merged, port: merged.port }), host, merged.port ?? RELAY_DEFAULTS.port);
    // Handlers first: whoever reads the banner may signal at once.
    stopOnSignals(relay.close);
    console.log(`modrelay relay: ${relay.url} serving ${resolve(root)}`);
    return;
  }
  if (assetFile('sw.js') === null || assetFile('client.mjs') === null) log.warn(`warning: ${MISSING_BUILD}`);
  const server = await start(() => serve(merged), host, merged.port ?? SERVE_DEFAULTS.port, merged.relayPort ?? SERVE_DEFAULTS.relayPort);
  stopOnSignals(server.close);
  console.log(`modrelay serve: ${server.url} (relay ${server.relay.url}) serving ${resolve(root)}`);
  if (verbosity !== 'quiet') {
    console.log([
      `  Open ${server.url} — a page whose boot script calls registerModuleRelay() loads its files through the Service Worker.`,
      '  DevTools → Network: add the x-modrelay-source response-header column (relay on a first load, cache on reloads).',
      `  Status: ${server.url}@modrelay/status. Ctrl-C stops.`,
    ].join('\n'));
  }
  if (flags.open) openBrowser(server.url);
}

function openBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'start' : 'xdg-open';
  void import('node:child_process').then(({ spawn }) => {
    spawn(command, [url], { stdio: 'ignore', detached: true }).on('error', () => console.warn(`modrelay: could not open a browser; open ${url}`)).unref();
  });
}

function stopOnSignals(close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`modrelay: ${signal}, shutting down`);
    // A close that hangs (a stuck socket) must not keep the process alive.
    setTimeout(() => process.exit(0), 2000).unref();
    close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** Starts a server, turning the errors a user can fix into one clear line. */
async function start<T>(begin: () => Promise<T>, host: string, ...ports: number[]): Promise<T> {
  try {
    return await begin();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const port = (error as { port?: number }).port ?? ports.join(' or ');
    if (code === 'EADDRINUSE') throw new UsageError(`port ${port} on ${host} is already in use; choose another with --port${ports.length > 1 ? ' / --relay-port' : ''}`);
    if (code === 'EACCES') throw new UsageError(`not allowed to listen on ${host}:${port}`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UsageError(`cannot listen on host ${host}`);
    if (error instanceof TypeError) throw new UsageError(error.message.replace(/^modrelay: /, ''));
    throw error;
  }
}

/** Unknown flags get the closest one this command has, or the command they belong to. */
function explain(message: string, argv: string[]): string {
  const unknown = /Unknown option `(-{1,2}[^`]+)`/.exec(message);
  const command = cli.commands.find((c) => c.name === argv[0]);
  if (!unknown) return message.replace(/^missing required args for command `([^`]+)`/, (_m, c: string) => `missing <${c.split(' <')[1]?.replace('>', '') ?? 'root'}>: modrelay ${c}`);
  // cac names the flag camelCased (--relayPort): back to how it is typed.
  const flag = unknown[1]!.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
  const owner = cli.commands.find((c) => c !== command && c.options.some((o) => o.rawName.split(/[ ,]/)[0] === flag));
  if (owner) return `${flag} is for ${owner.name}, not ${argv[0]}${flag === '--relay-port' ? '; use --port' : ''}`;
  const names = [...(command?.options ?? []), ...cli.globalCommand.options].map((o) => o.rawName.split(/[ ,]/)[0]!);
  const near = closest(flag, names);
  return `unknown flag ${flag}${near ? `; did you mean ${near}?` : ''}`;
}

async function main(argv: string[]): Promise<void> {
  const known = new Set(cli.commands.map((c) => c.name));
  const first = argv.find((arg) => !arg.startsWith('-'));
  if (first === undefined && !argv.some((arg) => ['-h', '--help', '-v', '--version'].includes(arg))) throw new UsageError('missing command: serve, relay or init');
  if (first !== undefined && argv[0] === first && !known.has(first)) throw new UsageError(`unknown command "${first}"`);
  let parsed;
  try {
    parsed = cli.parse(['node', 'modrelay', ...argv], { run: false });
  } catch (error) {
    throw new UsageError(explain((error as Error).message, argv));
  }
  if (parsed.options.help || parsed.options.version) return;
  try {
    cli.runMatchedCommand(); // checks unknown flags and missing arguments, then sets `chosen`
  } catch (error) {
    throw new UsageError(explain((error as Error).message, argv));
  }
  if (!chosen) throw new UsageError('missing command: serve, relay or init');
  if (chosen.name === 'init') return initPublicDir(chosen.target);
  return run(chosen.name, chosen.target, chosen.flags);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`modrelay: ${error.message}\nRun \`modrelay --help\` for usage.`);
    process.exit(2);
  }
  console.error('modrelay: unexpected error:', error);
  process.exit(1);
});
