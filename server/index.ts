/** The public Node API of modrelay. */
export { createRelay, type Relay } from './relay.js';
export { serve, type ServeOptions, type Server } from './serve.js';
export type { RelayOptions } from './options.js';
