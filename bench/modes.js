// @ts-check
/**
 * The page-load modes, each a server and a browser state. `cold`: a fresh browser
 * context per sample (empty HTTP cache, no Service Worker). `warm`: one context for the
 * whole run, reloaded (its first load and one warm-up reload are not samples). `edit`:
 * like warm, but one leaf module is changed before each reload. `query` is added to the
 * page URL: `?store=cache-storage` makes the boot script pick that store instead of the
 * default (`http-cache`).
 */

/**
 * @typedef {'immutable' | 'nocache' | 'vite' | 'modrelay' | 'modrelay-edit' | 'modrelay-cs-edit' | 'proxy-nocache' | 'proxy-modrelay'} ServerName
 * @typedef {{ key: string, label: string, server: ServerName, state: 'cold' | 'warm' | 'edit', query?: string }} Mode
 */

export const CACHE_STORAGE = '?store=cache-storage';

/** @type {Mode[]} */
export const MODES = [
  { key: 'floor', label: 'HTTP immutable, warm (floor)', server: 'immutable', state: 'warm' },
  { key: 'http-cold', label: 'HTTP no-cache + ETag, cold', server: 'nocache', state: 'cold' },
  { key: 'http-warm', label: 'HTTP no-cache + ETag, warm', server: 'nocache', state: 'warm' },
  { key: 'vite-cold', label: 'Vite dev server, cold', server: 'vite', state: 'cold' },
  { key: 'vite-warm', label: 'Vite dev server, warm', server: 'vite', state: 'warm' },
  { key: 'modrelay-first', label: 'modrelay (default store), first visit', server: 'modrelay', state: 'cold' },
  { key: 'modrelay-warm', label: 'modrelay (default store), warm reload', server: 'modrelay', state: 'warm' },
  { key: 'modrelay-edit', label: 'modrelay (default store), reload after one edit', server: 'modrelay-edit', state: 'edit' },
  { key: 'modrelay-cs-first', label: 'modrelay cache-storage, first visit', server: 'modrelay', state: 'cold', query: CACHE_STORAGE },
  { key: 'modrelay-cs-warm', label: 'modrelay cache-storage, warm reload', server: 'modrelay', state: 'warm', query: CACHE_STORAGE },
  { key: 'modrelay-cs-edit', label: 'modrelay cache-storage, reload after one edit', server: 'modrelay-cs-edit', state: 'edit', query: CACHE_STORAGE },
  { key: 'proxy-http-cold', label: 'Caddy → HTTP no-cache, cold', server: 'proxy-nocache', state: 'cold' },
  { key: 'proxy-http-warm', label: 'Caddy → HTTP no-cache, warm', server: 'proxy-nocache', state: 'warm' },
  { key: 'proxy-modrelay-first', label: 'Caddy → modrelay (default store), first visit', server: 'proxy-modrelay', state: 'cold' },
  { key: 'proxy-modrelay-warm', label: 'Caddy → modrelay (default store), warm reload', server: 'proxy-modrelay', state: 'warm' },
  { key: 'proxy-modrelay-cs-warm', label: 'Caddy → modrelay cache-storage, warm reload', server: 'proxy-modrelay', state: 'warm', query: CACHE_STORAGE },
];
