import { isIP } from 'node:net';

/**
 * The `Host` names a request may carry, checked on every listen address (HTTP and the relay's
 * upgrade). DNS rebinding: a hostile page on `evil.example` can make that name resolve to
 * 127.0.0.1 (or to a LAN address modrelay listens on) and then read the root with plain
 * same-origin requests; only its `Host` header gives it away. So only names we know are
 * accepted: IP addresses (rebinding needs a name; a page opened by IP is same-origin with us
 * anyway), `localhost` and `*.localhost`, the listen host itself, and `allowedHosts` (a
 * leading dot allows every subdomain, as Vite's `server.allowedHosts` does).
 */
export class HostAllowlist {
  private readonly exact = new Set<string>(['localhost']);
  private readonly suffixes: string[] = ['.localhost'];

  constructor(listenHost: string, allowedHosts: readonly string[]) {
    this.exact.add(listenHost.toLowerCase());
    for (const raw of allowedHosts) {
      const name = raw.trim().toLowerCase();
      if (name.startsWith('.')) {
        this.suffixes.push(name);
        this.exact.add(name.slice(1));
      } else {
        this.exact.add(name);
      }
    }
  }

  /** A request without `Host` (HTTP/1.0, raw clients) is not a browser's: allowed. */
  allows(host: string | undefined): boolean {
    if (host === undefined) return true;
    let hostname: string;
    try {
      hostname = new URL(`http://${host}`).hostname.toLowerCase();
    } catch {
      return false;
    }
    const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
    if (isIP(bare) !== 0) return true;
    return this.exact.has(hostname) || this.suffixes.some((suffix) => hostname.endsWith(suffix));
  }
}

/** What `--host` prints when it listens beyond loopback, or null. */
export function exposureNote(listenHost: string, allowedHosts: readonly string[]): string | null {
  if (listenHost === '127.0.0.1' || listenHost === '::1' || listenHost === 'localhost') return null;
  const names = allowedHosts.length > 0 ? ` and ${allowedHosts.join(', ')}` : '';
  return `listening on ${listenHost}: other machines can reach it. Requests must name an IP address, localhost${names} in Host;`
    + ' to open it by another name, add --allowed-host NAME (DNS-rebinding protection).';
}
