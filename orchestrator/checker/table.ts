// Plain-text tables with aligned columns: text left, figures right. No color, so logs stay clean.

export type Align = 'left' | 'right';

export interface Column {
  header: string;
  align: Align;
}

/** Renders a header, a rule, and the rows; every row must have one cell per column. */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    columns
      .map((c, i) => {
        const w = widths[i] ?? 0;
        const cell = cells[i] ?? '';
        return c.align === 'right' ? cell.padStart(w) : cell.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(columns.map((c) => c.header)), rule, ...rows.map(line)].join('\n');
}
