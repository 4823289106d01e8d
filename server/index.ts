/** The public Node API of modrelay. */
export { createRelay, type Relay } from './relay.js';
export { serve, type Server } from './serve.js';
export type { RelayOptions, ServeOptions } from './options.js';
export { defineConfig, type ModrelayConfig } from './config-file.js';
export type { Log } from './log.js';
