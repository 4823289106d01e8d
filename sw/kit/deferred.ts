/** A promise with its resolve/reject in reach (Promise.withResolvers needs a newer lib). */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T | PromiseLike<T>): void;
  reject(reason: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T | PromiseLike<T>) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves with `fallback` after `ms` (a bound for waits that must never hang). */
export function after<T>(ms: number, fallback: T): Promise<T> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms), fallback));
}
