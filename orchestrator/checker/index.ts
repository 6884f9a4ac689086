// Public surface of the checker: read a run's event logs, fault log and impairment record, judge
// delivery, write the report. The reading happens here; analyze() is pure.
import { join } from 'node:path';
import { FAULT_LOG, readFaultLog } from '../chaos/fault-log.js';
import { readImpairmentRecord } from '../impair/record.js';
import { createAnalyzer } from './analyze.js';
import { loadEvents } from './load.js';
import type { FaultWindow, Report } from './report.js';
import { readRunMeta } from './run-meta.js';

export interface CheckOptions {
  /** Fault windows to shade on the timeline (from the chaos fault log). */
  faults?: FaultWindow[];
}

/**
 * Streams `<stateDir>/events/node-*.ndjson` into the analyzer against run.json and the run's directory
 * (directory.json after a `join`, else genesis.json), with the chaos fault log (faults.ndjson, when
 * there is one) and the impairment record (impairment.json). Throws a CheckerError (code + hint) when
 * run.json or the directory is missing or invalid.
 */
export async function checkRun(stateDir: string, options: CheckOptions = {}): Promise<Report> {
  const meta = await readRunMeta(stateDir);
  const { runId, backend, live, dead, members, unreliable, byzantine } = meta;
  const faultLog = (await readFaultLog(join(stateDir, FAULT_LOG))).records;
  const impairment = await readImpairmentRecord(stateDir);
  const analyzer = createAnalyzer({
    runId, backend, live, dead, members, unreliable, byzantine, impairment,
    ...(options.faults ? { faults: options.faults } : {}),
    ...(faultLog.length > 0 ? { faultLog } : {}),
  });
  const input = await loadEvents(join(stateDir, 'events'), analyzer.add, live);
  return analyzer.finish(input);
}

export { createClassifier, noMisses, type ClassifyOptions, type MessageInput, type Verdict } from './classify.js';
export { analyze, createAnalyzer, type AnalyzeOptions, type Analyzer, type Membership } from './analyze.js';
export { CheckerError, type CheckerErrorCode } from './errors.js';
export { formatReport } from './format.js';
export { renderHtml } from './html.js';
export { loadEvents, readEventsFile } from './load.js';
export { percentile, summarize } from './percentile.js';
export { readRunMeta, type RunMeta } from './run-meta.js';
export { writeReport, type WrittenReport } from './write.js';
export type * from './report.js';
