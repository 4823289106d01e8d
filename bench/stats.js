// @ts-check
/** Order statistics for benchmark samples. */

/**
 * Nearest-rank percentile (p in 0..100) of the finite numbers in `values`; NaN if none.
 * @param {number[]} values
 * @param {number} p
 */
export function percentile(values, p) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return /** @type {number} */ (sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]);
}

/**
 * Median (mean of the two middle values for an even count); NaN if no finite value.
 * @param {number[]} values
 */
export function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return NaN;
  const mid = n >> 1;
  return n % 2 ? /** @type {number} */ (sorted[mid]) : (/** @type {number} */ (sorted[mid - 1]) + /** @type {number} */ (sorted[mid])) / 2;
}

/**
 * Rounds to `digits` decimals for reports; keeps NaN as null so JSON stays valid.
 * @param {number} x
 * @param {number} [digits]
 */
export function round(x, digits = 1) {
  if (!Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
