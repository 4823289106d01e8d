/**
 * The files modrelay serves by default, by extension, each with the content type it is
 * served with: over the relay's socket and over HTTP alike (a JSON or CSS module script is
 * refused by the browser under any other type). The relay, `serve` and the worker share it.
 */
const JS = 'text/javascript; charset=utf-8';

export const MODULE_TYPES: Readonly<Record<string, string>> = {
  '.mjs': JS,
  '.js': JS,
  '.cjs': JS,
};

export const ASSET_TYPES: Readonly<Record<string, string>> = {
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.wav': 'audio/wav',
  '.m4a': 'audio/mp4',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.glsl': 'text/plain; charset=utf-8',
  '.vert': 'text/plain; charset=utf-8',
  '.frag': 'text/plain; charset=utf-8',
  '.wgsl': 'text/plain; charset=utf-8',
};

/** Every type served by default: modules and assets. */
export const FILE_TYPES: Readonly<Record<string, string>> = { ...MODULE_TYPES, ...ASSET_TYPES };
export const SERVED_EXTENSIONS: readonly string[] = Object.keys(FILE_TYPES);

/** A type given with `--ext` that is not in the table above. */
export const UNKNOWN_TYPE = 'application/octet-stream';

/** The extension of a path's last segment, with the dot (case kept: ".MJS" is not ".mjs") ("" when it has none). */
export function extensionOf(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot);
}

/**
 * Whether `path`'s last segment has one of `extensions` (with the dot, case kept): the one
 * extension test of the relay, `serve`, the worker and the client. A dotfile has none.
 */
export function hasExtension(path: string, extensions: readonly string[]): boolean {
  return extensions.includes(extensionOf(path));
}

export function contentTypeOf(path: string): string {
  return FILE_TYPES[extensionOf(path)] ?? UNKNOWN_TYPE;
}

/** JavaScript, whose static imports the relay follows. */
export function isScript(path: string): boolean {
  return extensionOf(path) in MODULE_TYPES;
}
