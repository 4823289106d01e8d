import { createHash } from 'node:crypto';

/** sha-256 as lowercase hex, the form the relay sends and the worker records. */
export const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');
