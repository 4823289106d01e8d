// @ts-check
/**
 * The relay alone in its own process, for the load benchmark: its memory (VmHWM) is
 * then the relay's and nobody else's. Usage: node bench/relay-process.js <root>
 * Prints one JSON line { url, pid } once listening; SIGTERM closes it.
 */
const root = process.argv[2];
if (!root) {
  console.error('usage: relay-process.js <root>');
  process.exit(2);
}
const { createRelay } = await import('../dist/server/index.js');
const relay = await createRelay({ root, port: 0 });
process.stdout.write(`${JSON.stringify({ url: relay.url, pid: process.pid })}\n`);
const stop = () => relay.close().finally(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
