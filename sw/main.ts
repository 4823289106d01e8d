// Placeholder so the build runs; the Service Worker lands with issue 3.
export {};
declare const self: ServiceWorkerGlobalScope;
self.addEventListener('install', () => void self.skipWaiting());
