// Writes the report next to the run's other state: report.json (the data) and report.html.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderHtml } from './html.js';
import type { Report } from './report.js';

export interface WrittenReport {
  json: string;
  html: string;
}

/** Writes `<stateDir>/report.json` and `<stateDir>/report.html`; returns their paths. */
export async function writeReport(stateDir: string, report: Report): Promise<WrittenReport> {
  const json = join(stateDir, 'report.json');
  const html = join(stateDir, 'report.html');
  await writeFile(json, JSON.stringify(report, null, 2) + '\n');
  await writeFile(html, renderHtml(report));
  return { json, html };
}
