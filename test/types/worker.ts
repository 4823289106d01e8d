// Typechecked by `npm run typecheck` (test/types/tsconfig.worker.json) against the built
// declarations, as an app's own service worker sees them.
import { ModuleRelayStrategy, moduleRelayMatch, registerRoute } from 'modrelay/strategy';

const strategy = new ModuleRelayStrategy({ relayUrl: 'ws://127.0.0.1:8889/', budget: 500 });
registerRoute(moduleRelayMatch({ extensions: ['.mjs', '.js', '.json'] }), strategy);
const budget: number = strategy.engine.options.budget;
console.log(budget);
