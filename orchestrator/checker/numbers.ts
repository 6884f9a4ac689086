// How figures read in the table and the HTML page; '-' stands for "no data" (a null figure).

/** Milliseconds: whole above 10, one decimal below, so small latencies keep their resolution. */
export function fmtMs(ms: number | null): string {
  if (ms === null) return '-';
  return Math.abs(ms) >= 10 ? String(Math.round(ms)) : ms.toFixed(1);
}

/**
 * A ratio as a percentage with two decimals, rounded down: 99.996% must not print as 100.00%,
 * since "100%" is the claim the whole harness exists to check.
 */
export function fmtPct(r: number | null): string {
  if (r === null) return '-';
  return `${(Math.floor(r * 10_000) / 100).toFixed(2)}%`;
}

/** A plain figure with up to `digits` decimals (trailing zeros kept for alignment). */
export function fmtNum(x: number | null, digits = 2): string {
  return x === null ? '-' : x.toFixed(digits);
}

/** Bytes in B, KiB or MiB. */
export function fmtBytes(b: number | null): string {
  if (b === null) return '-';
  if (b < 1024) return `${Math.round(b)} B`;
  if (b < 1024 * 1024) return `${(b / 1024).toFixed(1)} KiB`;
  return `${(b / (1024 * 1024)).toFixed(1)} MiB`;
}
