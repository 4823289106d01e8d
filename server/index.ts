/** The public Node API of modrelay. */
export { createRelay, type Relay } from './http/relay-server.js';
export { serve, type Server } from './http/serve.js';
export { attachRelay, mountRelay, type MountedRelay, type MountOptions } from './http/attach-relay.js';
export type { StatusReport } from './relay/status.js';
export type { RelayOptions, ServeOptions } from './config/options.js';
export { defineConfig, type ModrelayConfig } from './cli/config-file.js';
export type { Log } from './config/log.js';
