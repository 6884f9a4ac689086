// Public surface of the checker: read a run's event logs, judge delivery, write the report.
import { join } from 'node:path';
import { createAnalyzer } from './analyze.js';
import { loadEvents } from './load.js';
import type { FaultWindow, Report } from './report.js';
import { readRunMeta } from './run-meta.js';

export interface CheckOptions {
  /** Fault windows to shade on the timeline (from the chaos fault log). */
  faults?: FaultWindow[];
}

/**
 * Streams `<stateDir>/events/node-*.ndjson` into the analyzer against run.json and genesis.json.
 * Throws a CheckerError (code + hint) when run.json or genesis.json is missing or invalid.
 */
export async function checkRun(stateDir: string, options: CheckOptions = {}): Promise<Report> {
  const meta = await readRunMeta(stateDir);
  const { runId, backend, live, dead, members, unreliable } = meta;
  const analyzer = createAnalyzer({ runId, backend, live, dead, members, unreliable, ...(options.faults ? { faults: options.faults } : {}) });
  const input = await loadEvents(join(stateDir, 'events'), analyzer.add, live);
  return analyzer.finish(input);
}

export { analyze, createAnalyzer, type AnalyzeOptions, type Analyzer, type Membership } from './analyze.js';
export { CheckerError, type CheckerErrorCode } from './errors.js';
export { formatReport } from './format.js';
export { renderHtml } from './html.js';
export { loadEvents, readEventsFile } from './load.js';
export { percentile, summarize } from './percentile.js';
export { readRunMeta, type RunMeta } from './run-meta.js';
export { writeReport, type WrittenReport } from './write.js';
export type * from './report.js';
