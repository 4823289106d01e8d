// Placeholder so the build runs; the client lands with issue 3.
export const RELAY_URL_PLACEHOLDER = '__MODRELAY_RELAY_URL__';
