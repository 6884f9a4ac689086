// `demo` (what `npm start` runs): up a fresh run, send the manifest's workload through the trusted
// client, tear everything down (always), then judge the run from its proofs and event logs.
import type { UpProgress } from './backends/backend.js';
import { connectRunClient, sendBroadcast, type RunBroadcastResult } from './broadcast.js';
import { down } from './down.js';
import { SpinozaError } from './errors.js';
import type { Manifest } from './manifest.js';
import { report, type RunReport } from './report.js';
import { openRun } from './run.js';
import { up, type UpResult } from './up.js';

export interface DemoOptions {
  home: string;
  manifest: Manifest;
  runId?: string;
  /** Per broadcast; default 30000. */
  timeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: UpProgress) => void;
  onBroadcast?: (done: number, total: number, result: RunBroadcastResult) => void;
}

export interface DemoResult {
  run: UpResult;
  results: RunBroadcastResult[];
  report: RunReport;
  /** Every live node delivered every broadcast, and every proof verified. */
  ok: boolean;
  /** One line per broadcast that fell short. */
  failures: string[];
}

/** Body of the i-th demo broadcast, exactly `bytes` long (ASCII). */
export const demoBody = (i: number, bytes: number): string => `demo broadcast ${i + 1} `.padEnd(bytes, '.').slice(0, bytes);

export async function demo(opts: DemoOptions): Promise<DemoResult> {
  const { home, manifest, signal } = opts;
  const total = manifest.workload.broadcasts;
  const results: RunBroadcastResult[] = [];
  let started: UpResult | undefined;
  try {
    started = await up({
      home, manifest,
      ...(opts.runId !== undefined && { runId: opts.runId }),
      ...(signal && { signal }),
      ...(opts.onProgress && { onProgress: opts.onProgress }),
    });
    const run = await openRun(home);
    const rc = await connectRunClient(run, undefined, signal);
    try {
      for (let i = 0; i < total; i++) {
        const r = await sendBroadcast(run, rc, demoBody(i, manifest.workload.bodyBytes), {
          timeoutMs: opts.timeoutMs ?? 30_000,
          ...(signal && { signal }),
        });
        results.push(r);
        opts.onBroadcast?.(i + 1, total, r);
      }
    } finally {
      await rc.client.close();
    }
  } finally {
    // Not abortable: a Ctrl-C must still stop every node. No run to stop is fine (up failed early).
    await down({ home }).catch((e: unknown) => {
      if (!(e instanceof SpinozaError && e.code === 'no-run')) throw e;
    });
  }
  // After `down`: nodes have flushed their event logs on SIGTERM, so the report sees every event.
  const checked = await report({ runDir: started.runDir });
  const failures = results.flatMap((r, i) => {
    const problems = [
      ...(r.proofValid ? [] : [`invalid proof (${r.problems[0] ?? 'unknown'})`]),
      ...(r.missing.length > 0 ? [`missing on node(s) ${r.missing.join(', ')}`] : []),
    ];
    return problems.length ? [`broadcast ${i + 1} (${r.id.slice(0, 12)}…): ${problems.join('; ')}`] : [];
  });
  return { run: started, results, report: checked, ok: failures.length === 0 && results.length === total, failures };
}
