// Typechecked by `npm run typecheck` (test/types/tsconfig.page.json) against the built
// declarations, as an app's boot script written in TypeScript sees them.
import { registerModuleRelay, type ModuleRelayRegistration, type ModuleUpdate } from 'modrelay/client';

const relay: ModuleRelayRegistration = await registerModuleRelay({ store: 'http-cache', reloadOnUpdate: false, hotStylesheets: true });
const status: 'controlled' | 'timeout' | 'bypassed' | 'unsupported' | 'failed' = relay.status;
const stop: () => void = relay.onUpdate((update: ModuleUpdate) => console.log(update.url, update.hash ?? 'removed'));
addEventListener('modrelay:update', (event) => console.log(event.detail.url));
stop();
console.log(status);
