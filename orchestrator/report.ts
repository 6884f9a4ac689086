// `report`: the checker's verdict on a run, from the nodes' NDJSON event logs.
import { checkRun, CheckerError, writeReport, type Report, type WrittenReport } from './checker/index.js';
import { SpinozaError } from './errors.js';
import { currentRun } from './state.js';

export interface RunReport {
  report: Report;
  /** report.json and report.html in the run's directory. */
  files: WrittenReport;
}

/** Checks the current run of `home` (or the run directory `runDir`) and writes its report files. */
export async function report(opts: { home: string } | { runDir: string }): Promise<RunReport> {
  const dir = 'runDir' in opts ? opts.runDir : (await currentRun(opts.home)).layout.dir;
  try {
    const r = await checkRun(dir);
    return { report: r, files: await writeReport(dir, r) };
  } catch (e) {
    if (e instanceof CheckerError) {
      const code = e.code.endsWith('_MISSING') ? 'no-run' : 'state-invalid';
      throw new SpinozaError(code, e.message, e.hint, { cause: e });
    }
    throw e;
  }
}
