// A small inline-SVG plotter for report.html: axes with round ticks, line/step/point series,
// shaded bands. Hand-written so the report page needs no plotting dependency and no network.

import { linearScale, logScale, maxOf, minPositive } from './scale.js';

export type Point = [x: number, y: number];

export interface Series {
  label: string;
  color: string;
  points: readonly Point[];
  /** `step`: a CDF (horizontal then vertical); `points`: dots; `cross`: an × per point. */
  mode: 'line' | 'step' | 'points' | 'cross';
}

/** A shaded x-range (a fault window), in the plot's x units. */
export interface Band {
  start: number;
  end: number;
  label: string;
}

export interface Plot {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  bands?: readonly Band[];
  /** Axis ranges; by default they span the data (and 0). */
  xMax?: number;
  yMax?: number;
  /** Logarithmic axes (from the smallest positive value); the axis label says so. */
  xLog?: boolean;
  yLog?: boolean;
  width?: number;
  height?: number;
}

/** Colors that stay apart for the usual colour-vision deficiencies (Okabe–Ito). */
export const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#000000'];

// The top margin holds the title and, below it, the legend in one row, clear of the data.
const MARGIN = { left: 60, right: 16, top: 44, bottom: 44 };

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function plotSvg(plot: Plot): string {
  const width = plot.width ?? 640;
  const height = plot.height ?? 320;
  const all = plot.series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const xMax = plot.xMax ?? Math.max(maxOf(xs), maxOf((plot.bands ?? []).map((b) => b.end)));
  const xScale = plot.xLog ? logScale(minPositive(xs) ?? 1, xMax) : linearScale(xMax);
  const ys = all.map((p) => p[1]);
  const yMax = plot.yMax ?? maxOf(ys);
  const yScale = plot.yLog ? logScale(minPositive(ys) ?? 1, yMax) : linearScale(yMax);
  const iw = width - MARGIN.left - MARGIN.right;
  const ih = height - MARGIN.top - MARGIN.bottom;
  const sx = (x: number): number => MARGIN.left + xScale.at(x) * iw;
  const sy = (y: number): number => MARGIN.top + ih - yScale.at(y) * ih;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(plot.title)}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(plot.title)}</title>`,
    `<text x="${width / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(plot.title)}</text>`,
  ];
  for (const b of plot.bands ?? []) {
    const x0 = sx(b.start);
    const w = Math.max(1, sx(b.end) - x0);
    parts.push(`<rect class="band" x="${r(x0)}" y="${MARGIN.top}" width="${r(w)}" height="${ih}" fill="#d55e00" fill-opacity="0.15"><title>${escapeXml(b.label)}</title></rect>`);
    parts.push(`<text x="${r(x0 + 2)}" y="${MARGIN.top + 10}" font-size="9" fill="#a04000">${escapeXml(b.label)}</text>`);
  }
  parts.push(...axes(xScale.ticks, yScale.ticks, sx, sy, plot, width, height));
  for (const s of plot.series) parts.push(seriesSvg(s, sx, sy));
  parts.push(...legend(plot.series));
  parts.push('</svg>');
  return parts.join('\n');
}

function axes(xTicks: number[], yTicks: number[], sx: (x: number) => number, sy: (y: number) => number, plot: Plot, width: number, height: number): string[] {
  const x0 = MARGIN.left;
  const y0 = height - MARGIN.bottom;
  const out = [`<g stroke="#888" stroke-width="1">`, `<line x1="${x0}" y1="${MARGIN.top}" x2="${x0}" y2="${y0}"/>`, `<line x1="${x0}" y1="${y0}" x2="${width - MARGIN.right}" y2="${y0}"/>`];
  for (const t of yTicks) out.push(`<line x1="${x0}" y1="${r(sy(t))}" x2="${width - MARGIN.right}" y2="${r(sy(t))}" stroke="#eee"/>`);
  out.push('</g>');
  for (const t of xTicks) out.push(`<text x="${r(sx(t))}" y="${y0 + 14}" text-anchor="middle">${tickLabel(t)}</text>`);
  for (const t of yTicks) out.push(`<text x="${x0 - 6}" y="${r(sy(t) + 4)}" text-anchor="end">${tickLabel(t)}</text>`);
  const xLabel = plot.xLog ? `${plot.xLabel}, log scale` : plot.xLabel;
  out.push(`<text x="${x0 + (width - MARGIN.left - MARGIN.right) / 2}" y="${height - 8}" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  const yLabel = plot.yLog ? `${plot.yLabel}, log scale` : plot.yLabel;
  out.push(`<text transform="translate(14 ${MARGIN.top + (height - MARGIN.top - MARGIN.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`);
  return out;
}

function seriesSvg(s: Series, sx: (x: number) => number, sy: (y: number) => number): string {
  const label = `<title>${escapeXml(s.label)}</title>`;
  if (s.points.length === 0) return '';
  if (s.mode === 'points') return `<g fill="${s.color}">${label}${s.points.map(([x, y]) => `<circle cx="${r(sx(x))}" cy="${r(sy(y))}" r="2.5"/>`).join('')}</g>`;
  if (s.mode === 'cross') {
    const d = s.points.map(([x, y]) => `M${r(sx(x) - 3)},${r(sy(y) - 3)}l6,6m0,-6l-6,6`).join('');
    return `<path d="${d}" stroke="${s.color}" stroke-width="1.5" fill="none">${label}</path>`;
  }
  const first = s.points[0] ?? [0, 0];
  // A CDF starts at 0 and steps up at each sample, so the line begins on the x axis.
  let d = s.mode === 'step' ? `M${r(sx(first[0]))},${r(sy(0))}` : `M${r(sx(first[0]))},${r(sy(first[1]))}`;
  let prevY = 0;
  for (const [x, y] of s.points) {
    d += s.mode === 'step' ? `L${r(sx(x))},${r(sy(prevY))}L${r(sx(x))},${r(sy(y))}` : `L${r(sx(x))},${r(sy(y))}`;
    prevY = y;
  }
  return `<path d="${d}" stroke="${s.color}" stroke-width="1.8" fill="none">${label}</path>`;
}

/** One row under the title, left to right; each entry as wide as its label needs. */
function legend(series: readonly Series[]): string[] {
  const y = 32;
  let x = MARGIN.left;
  return series.map((s) => {
    const entry = `<g><rect x="${x}" y="${y - 8}" width="10" height="10" fill="${s.color}"/><text x="${x + 14}" y="${y + 1}">${escapeXml(s.label)}</text></g>`;
    x += 24 + s.label.length * 7;
    return entry;
  });
}

function tickLabel(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(3)));
}

/** Coordinates to 0.1 px: plenty for a screen, and it keeps the page small. */
function r(v: number): string {
  return String(Math.round(v * 10) / 10);
}
