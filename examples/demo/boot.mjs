// Register modrelay's service worker first, then load the app through it.
const { registerModuleRelay } = await import('/@modrelay/client.mjs');
const relay = await registerModuleRelay({ reloadOnUpdate: true });
document.getElementById('status').textContent = `service worker: ${relay.status}`;
await import('./app.mjs');
