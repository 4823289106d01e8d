import { contentTypeOf, extensionOf } from '../../protocol/file-types.js';
import type { PathFailure } from './paths.js';

/**
 * Names never served whatever the extensions allow, in the spirit of Vite's `server.fs.deny`:
 * keys and certificates, SSH identities. (`.env*`, `.git/` and every other dot-name are
 * refused earlier, by the path rules of paths.ts.)
 */
const DENIED: readonly RegExp[] = [/\.(pem|crt|cer|key|p12|pfx)$/i, /^id_/];

/**
 * What the relay and `serve` hand out, one policy for both: files whose extension is on the
 * allowlist (protocol/file-types.ts by default), minus the deny list, each with its content type.
 */
export class ServedFiles {
  private readonly allowed: ReadonlySet<string>;

  constructor(readonly extensions: readonly string[]) {
    this.allowed = new Set(extensions);
  }

  /** Why `path` (a URL path or a real file path) is not served, or null. */
  refusal(path: string): PathFailure | null {
    const base = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
    if (DENIED.some((pattern) => pattern.test(base))) {
      return { ok: false, code: 'forbidden', message: `"${base}" looks like a key, certificate or identity file: never served` };
    }
    if (!this.allowed.has(extensionOf(path))) {
      return { ok: false, code: 'unsupported-type', message: `only ${this.extensions.join(', ')} files are served` };
    }
    return null;
  }

  contentType(path: string): string {
    return contentTypeOf(path);
  }
}
