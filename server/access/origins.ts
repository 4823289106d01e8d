/**
 * The `Origin` allowlist checked at the WebSocket upgrade.
 *
 * Any web page the developer visits can open `ws://127.0.0.1:8889`: browsers do not apply
 * the same-origin policy to WebSockets. Without this check a hostile page could ask the relay
 * for the developer's source (cross-site WebSocket hijacking). Browsers always send `Origin`
 * on a WebSocket handshake, so a request without one comes from a non-browser client, which
 * could read the files anyway, and is allowed.
 */
export class OriginAllowlist {
  private readonly origins = new Set<string>();

  constructor(extra: readonly string[]) {
    for (const origin of extra) this.origins.add(normalizeOrigin(origin));
  }

  /** Allows the loopback origins of a local HTTP port (the relay's own, or `serve`'s). */
  allowLoopbackPort(port: number): void {
    for (const host of ['127.0.0.1', 'localhost', '[::1]']) this.origins.add(`http://${host}:${port}`);
  }

  allows(origin: string | undefined): boolean {
    if (origin === undefined) return true;
    let normalized: string;
    try {
      normalized = normalizeOrigin(origin);
    } catch {
      return false;
    }
    return this.origins.has(normalized);
  }

  list(): string[] {
    return [...this.origins];
  }
}

/** "http://LocalHost:8080/" → "http://localhost:8080"; throws a TypeError for a non-URL. */
export function normalizeOrigin(origin: string): string {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new TypeError(`modrelay: not an origin URL: ${JSON.stringify(origin)}`);
  }
  if (url.origin === 'null') throw new TypeError(`modrelay: not an http(s) origin: ${JSON.stringify(origin)}`);
  return url.origin;
}
