// Axis scales for the report's plots: linear from 0, or logarithmic when latencies span decades
// (tree and ring in one CDF differ ~100x; on a linear axis the fast one is a vertical line).

export interface Scale {
  /** Tick values, ascending, covering the domain. */
  ticks: number[];
  /** Position of v in the domain, 0..1, clamped (so Infinity is the far edge). */
  at(v: number): number;
  log: boolean;
}

/** [0, max] at a 1-2-5 step of about `target` ticks, the last tick at or past max. */
export function linearScale(max: number, target = 5): Scale {
  const ticks = niceTicks(max, target);
  const top = ticks[ticks.length - 1] ?? 1;
  return { ticks, log: false, at: (v) => clamp01(v / top) };
}

/** Whole decades around [min, max] (min > 0); values ≤ 0 sit on the left edge. */
export function logScale(min: number, max: number): Scale {
  const lo = Math.floor(Math.log10(Math.max(min, 1e-3)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(max, min, 1e-3))));
  const ticks: number[] = [];
  // 1-2-5 within each decade while there are few decades; only powers of ten when there are many.
  const mantissas = hi - lo <= 3 ? [1, 2, 5] : [1];
  for (let d = lo; d < hi; d++) for (const m of mantissas) ticks.push(Number((m * 10 ** d).toPrecision(6)));
  ticks.push(Number((10 ** hi).toPrecision(6)));
  return { ticks, log: true, at: (v) => (v <= 0 ? 0 : clamp01((Math.log10(v) - lo) / (hi - lo))) };
}

export function niceTicks(max: number, target = 5): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const raw = max / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const ticks: number[] = [];
  for (let v = 0; v < max + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  if ((ticks[ticks.length - 1] ?? 0) < max) ticks.push(Number((ticks.length * step).toPrecision(12)));
  return ticks;
}

/**
 * Largest finite value, or 0 (Infinity marks "off the chart", not a range to fit). A loop rather
 * than Math.max(...xs), which overflows the stack on big arrays.
 */
export function maxOf(xs: readonly number[]): number {
  let m = 0;
  for (const x of xs) if (x > m && Number.isFinite(x)) m = x;
  return m;
}

/** Smallest positive finite value, or null. */
export function minPositive(xs: readonly number[]): number | null {
  let m: number | null = null;
  for (const x of xs) if (x > 0 && Number.isFinite(x) && (m === null || x < m)) m = x;
  return m;
}

/** Clamps to the plot area; +Infinity pins to the top/right edge (see html.ts, incomplete). */
function clamp01(v: number): number {
  return Number.isNaN(v) ? 0 : Math.min(1, Math.max(0, v));
}
