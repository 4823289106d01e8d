import { createHash, createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

/** The certificate `serve --https` answers with: the PEM files given, or the self-signed one. */
export async function serveCertificate(https: 'self-signed' | { cert: string; key: string }, host: string): Promise<Certificate> {
  if (https === 'self-signed') return devCertificate(host);
  const [cert, key] = await Promise.all([readFile(https.cert, 'utf8'), readFile(https.key, 'utf8')]).catch((error: NodeJS.ErrnoException) => {
    throw new TypeError(`modrelay: cannot read the certificate or key: ${error.message}`);
  });
  return { cert, key, file: https.cert, spki: spkiOf(cert) };
}

export interface Certificate {
  key: string;
  cert: string;
  /** Where it is kept (null: given by the user). */
  file: string | null;
  /** base64 sha-256 of its public key: Chromium trusts it with `--ignore-certificate-errors-spki-list=<spki>`. */
  spki: string;
}

/** A certificate made less than this long before it expires is made again. */
const RENEW_BEFORE_MS = 7 * 24 * 3600_000;
const VALID_DAYS = 365;

/** modrelay's folder in the user's cache (`$XDG_CACHE_HOME/modrelay`, else `~/.cache/modrelay`). */
export function cacheFolder(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'modrelay');
}

export function spkiOf(cert: string): string {
  const der = new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

/** Whether `cert` goes with `key`, is valid for a while yet and names every one of `names`. */
function fits(cert: string, key: string, names: readonly string[]): boolean {
  try {
    const x509 = new X509Certificate(cert);
    if (!x509.checkPrivateKey(createPrivateKey(key))) return false; // e.g. two first runs at once wrote one each
    if (Date.parse(x509.validTo) - Date.now() < RENEW_BEFORE_MS) return false;
    return names.every((name) => (isIP(name) ? x509.checkIP(name) : x509.checkHost(name)) !== undefined);
  } catch {
    return false;
  }
}

/**
 * The self-signed certificate `serve --https` uses: for localhost, 127.0.0.1, ::1 and the listen
 * host, made on first use (selfsigned, Node's WebCrypto underneath) and kept in the user's cache
 * folder (the key readable by the user only), made again when it is about to expire or does not
 * name the host. Writing one by hand (ASN.1, extensions) is exactly what a library is for.
 */
export async function devCertificate(host: string): Promise<Certificate> {
  const names = [...new Set(['localhost', '127.0.0.1', '::1', host === '0.0.0.0' || host === '::' ? 'localhost' : host])];
  const folder = cacheFolder();
  const file = join(folder, 'localhost-cert.pem');
  const keyFile = join(folder, 'localhost-key.pem');
  try {
    const [cert, key] = await Promise.all([readFile(file, 'utf8'), readFile(keyFile, 'utf8')]);
    if (fits(cert, key, names)) return { cert, key, file, spki: spkiOf(cert) };
  } catch {
    // none yet, or unreadable: make one
  }
  const pems = await generate([{ name: 'commonName', value: 'modrelay development certificate' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + VALID_DAYS * 24 * 3600_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: names.map((name) => (isIP(name) ? { type: 7, ip: name } : { type: 2, value: name })) },
    ],
  });
  await mkdir(folder, { recursive: true, mode: 0o700 });
  await chmod(folder, 0o700); // mkdir's mode applies to a folder it makes only
  await replaceFile(keyFile, pems.private);
  await replaceFile(file, pems.cert);
  return { cert: pems.cert, key: pems.private, file, spki: spkiOf(pems.cert) };
}

/**
 * Writes `text` to `file` whole or not at all, readable by the user only: a new file beside it
 * (never an existing one, nor through a link planted there), then renamed over it.
 */
async function replaceFile(file: string, text: string): Promise<void> {
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, text, { mode: 0o600, flag: 'wx' });
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
