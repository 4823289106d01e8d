import { cac, type Command } from 'cac';
import { resolve } from 'node:path';
import { assetFile, MISSING_BUILD } from '../http/built-files.js';
import { loadConfig } from './config-file.js';
import { exposureNote } from '../access/hosts.js';
import { initPublicDir } from './init.js';
import { terminalLog, type Verbosity } from '../config/log.js';
import { SERVER_OPTIONS, type FlagValue, type ServerOptionDeclaration } from '../config/declarations.js';
import { RELAY_DEFAULTS, SERVE_DEFAULTS, type ServeOptions } from '../config/options.js';
import { createRelay } from '../http/relay-server.js';
import { serve } from '../http/serve.js';
import { VERSION } from '../config/version.js';
import { closest, integer, last, list, parseHeaders, parseProxies, UsageError } from './cli-values.js';

/**
 * The flags of `command` (`serve` or `relay`): one per option declared with a flag
 * (server/config/declarations.ts), then the CLI's own.
 */
function flags(command: Command, name: 'serve' | 'relay'): Command {
  for (const declaration of Object.values<ServerOptionDeclaration>(SERVER_OPTIONS)) {
    if (declaration.flag === undefined || (declaration.only !== undefined && declaration.only !== name)) continue;
    const doc = declaration.value === 'off' ? `turn off: ${declaration.doc}` : declaration.doc;
    const shown = declaration.value === 'on' || declaration.value === 'off' || declaration.shown === 'none' ? '' : ` (default ${declaration.shown.replace(/`/g, '')})`;
    command.option(declaration.flag, `${doc}${shown}`.replace(/`/g, ''));
  }
  return command
    .option('--config <file>', 'options from this file (default: modrelay.config.{js,mjs,json} in <root>); flags win')
    .option('--quiet', 'print only the start-up line and errors')
    .option('--verbose', 'also print every request')
    .example((bin) => `  ${bin} ${command.name} ./public --port 0`);
}

/** The command the line chose, set by its action once cac checked flags and arguments. */
let chosen: { name: 'serve' | 'relay' | 'init'; target: string; flags: Flags } | undefined;
const choose = (name: 'serve' | 'relay' | 'init') => (target: string, flags: Flags) => { chosen = { name, target, flags }; };

const cli = cac('modrelay');
flags(cli.command('serve <root>', 'a dev server for <root>: static HTTP, /sw.js, /@modrelay/client.mjs and the relay'), 'serve')
  .option('--open', 'open the page in the default browser')
  .action(choose('serve'));
flags(cli.command('relay <root>', 'only the WebSocket relay, for apps with their own HTTP server'), 'relay')
  .action(choose('relay'));
cli.command('init <public-dir>', "write modrelay's worker, client and hooks into an app's public folder, and its boot file")
  .option('--entry <file>', "the app's entry module: writes modrelay-boot.mjs, which registers modrelay and then imports it")
  .example((bin) => `  ${bin} init ./public --entry ./app.mjs`)
  .action(choose('init'));
cli.help((sections) => [
  // cac shows the default of a --no- flag's option as "(default: true)": say nothing instead.
  ...sections.map((section) => ({ ...section, body: section.body.replace(/ \(default: true\)/g, '') })),
  { title: 'Never served', body: '  dotfiles and dot-folders, keys and certificates (*.pem *.crt *.key id_*), paths leaving <root>;\n  node_modules is served but not watched.' },
]);
cli.version(VERSION);

type Flags = Record<string, unknown>;

/** The command line's options, exactly what was given (the API fills in defaults and checks ranges). */
function options(root: string, given: Flags): ServeOptions {
  const picked: Record<string, unknown> = { root };
  for (const [name, declaration] of Object.entries<ServerOptionDeclaration>(SERVER_OPTIONS)) {
    if (declaration.flag === undefined || declaration.value === undefined) continue;
    const value = read(declaration.flag.split(' ')[0]!, declaration.value, given);
    if (value !== undefined) picked[name] = value;
  }
  return picked as unknown as ServeOptions;
}

/** The value of `flag` (`--max-file-size`, `--no-watch`) as its declaration reads it; undefined when not given. */
function read(flag: string, value: FlagValue, given: Flags): unknown {
  // cac names a flag camelCased, without its "no-".
  const raw = given[flag.replace(/^--(no-)?/, '').replace(/-([a-z])/g, (_m, letter: string) => letter.toUpperCase())];
  if (raw === undefined) return undefined;
  switch (value) {
    case 'integer': return integer(flag.slice(2), raw);
    case 'string': return last(raw) as string;
    case 'list': return list(raw);
    case 'on': return raw === true ? true : undefined;
    case 'off': return raw === false ? false : undefined;
    case 'proxy': return parseProxies(list(raw)!);
    case 'header': return parseHeaders(list(raw)!);
    case 'assets': {
      const text = last(raw);
      if (text !== 'none' && text !== 'all') throw new UsageError(`--assets takes "none" or "all", got "${String(text)}"`);
      return text === 'all';
    }
    default: {
      const unknown: never = value;
      return unknown;
    }
  }
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
  // A browser registers a service worker only on an origin whose certificate it trusts.
  if (server.certificate) {
    console.log(`  Certificate: ${server.certificate.file}. To trust it in Chromium for development, start it with\n`
      + `  --ignore-certificate-errors-spki-list=${server.certificate.spki} (or add the certificate to your system's trust store).`);
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
  if (chosen.name === 'init') return initPublicDir(chosen.target, last(chosen.flags.entry) as string | undefined);
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
