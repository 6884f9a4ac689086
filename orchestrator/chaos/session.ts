// A chaos session on a running testnet (`spinoza chaos`, DESIGN.md §4): the schedule's faults and a
// steady workload run together; then the heal, the wait for repair to settle, and the fault-aware
// check. Everything is validated (plan, backend support, control token, a whole network) before the
// first fault; the executor heals whatever is in effect on any exit, Ctrl-C included.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { backendFor, type Backend } from '../backends/backend.js';
import { connectRunClient } from '../broadcast.js';
import type { Report, WrittenReport } from '../checker/index.js';
import { abortError, SpinozaError } from '../errors.js';
import { controlTarget } from '../impair/shape.js';
import { report } from '../report.js';
import { backendRun } from '../run.js';
import { appendBroadcast } from '../state.js';
import { realClock } from './clock.js';
import { executeSchedule, type Clock, type Execution } from './executor.js';
import { appendFault, FAULT_LOG, type FaultRecord } from './fault-log.js';
import { httpNetwork, readBaseProfile } from './network.js';
import { planChaos, type PlanOptions } from './plan.js';
import type { Schedule } from './schedule.js';
import { waitSettled, type SettleProgress, type SettleResult } from './settle.js';
import { startWorkload, type WorkloadStats } from './workload.js';

export interface ChaosOptions extends PlanOptions {
  /** Between workload broadcasts. Default 200. */
  intervalMs?: number;
  /** After the session, how long the nodes have to hold every accepted broadcast. Default 60000. */
  settleMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: ChaosProgress) => void;
  /** Between `running` and `settle` reports. Default 2000. */
  progressEveryMs?: number;
  clock?: Clock;
  /** Injected backend (tests); default: the run's. */
  backend?: Backend;
}

export type ChaosProgress =
  | { phase: 'plan'; schedule: Schedule; via: number }
  | { phase: 'fault'; type: 'start' | 'end'; record: FaultRecord; elapsedMs: number; nodes: number }
  | { phase: 'running'; elapsedMs: number; durationMs: number; workload: WorkloadStats; activeFaults: number }
  | { phase: 'healed'; elapsedMs: number }
  | { phase: 'settle'; progress: SettleProgress }
  | { phase: 'check' };

export interface ChaosResult {
  runId: string;
  runDir: string;
  session: string;
  via: number;
  schedule: Schedule;
  /** Wall clock at the start, and when every fault had healed. */
  t0: number;
  healedAt: number;
  faults: FaultRecord[];
  workload: WorkloadStats;
  settle: SettleResult;
  report: Report;
  files: WrittenReport;
  /** Every live node holds every accepted broadcast, and the checker found no protocol failure. */
  ok: boolean;
  problems: string[];
}

export async function chaos(o: ChaosOptions): Promise<ChaosResult> {
  const clock = o.clock ?? realClock;
  const every = o.progressEveryMs ?? 2_000;
  const { run, manifest, via, schedule } = await planChaos(o);
  const backend = o.backend ?? (await backendFor(run.record.backend));
  if (!backend.faults) {
    throw new SpinozaError('not-implemented', `the ${backend.name} backend cannot kill, restart or pause nodes yet`, 'run chaos on a process-backend testnet');
  }
  const target = backend.faults(backendRun(run));
  const control = await controlTarget(run);
  const base = await readBaseProfile(control, o.signal);
  const session = `${schedule.seed}@${clock.now()}`;
  // What a replay needs, next to the fault log: seed, profile, duration, entry node, the schedule.
  await writeFile(join(run.layout.dir, 'chaos.json'), JSON.stringify({ session, via, schedule }, null, 2) + '\n');
  o.onProgress?.({ phase: 'plan', schedule, via });

  const rc = await connectRunClient(run, via, o.signal);
  const t0 = clock.now();
  let logged: Promise<void> = Promise.resolve();
  const workload = startWorkload({
    sender: rc.client, live: run.record.live, clock,
    ...(o.intervalMs !== undefined && { intervalMs: o.intervalMs }),
    // The entry answers with a (partial) proof at proofTimeoutMs at the latest.
    proofTimeoutMs: manifest.params.proofTimeoutMs + 5_000,
    text: (seq) => `chaos ${session} #${seq}`,
    // Lets `spinoza verify ID` find the proof at the entry node; a lost line only slows verify down.
    onAccepted: (id) => { logged = logged.then(() => appendBroadcast(run.layout, { id, via, at: clock.now() })).catch(() => {}); },
  });
  const active = new Set<string>();
  const ticker = setInterval(() => o.onProgress?.({
    phase: 'running', elapsedMs: clock.now() - t0, durationMs: schedule.durationMs, workload: workload.stats(), activeFaults: active.size,
  }), every);
  let execution: Execution;
  let stats: WorkloadStats;
  try {
    execution = await executeSchedule(schedule, {
      target, network: httpNetwork(control), clock, base, backend: backend.name, session,
      log: (r) => appendFault(join(run.layout.dir, FAULT_LOG), r),
      onEvent: (e) => {
        if (e.type === 'healed') return o.onProgress?.({ phase: 'healed', elapsedMs: e.at - t0 });
        if (e.type === 'start') active.add(e.record.id);
        else active.delete(e.record.id);
        o.onProgress?.({ phase: 'fault', type: e.type, record: e.record, elapsedMs: clock.now() - t0, nodes: schedule.nodes.length });
      },
    }, o.signal);
    // The heal phase: the workload goes on over a whole network until the session's end.
    await clock.sleep(t0 + schedule.durationMs - clock.now(), o.signal);
  } catch (e) {
    throw o.signal?.aborted ? abortError(o.signal, 'chaos') : e;
  } finally {
    clearInterval(ticker);
    stats = await workload.stop(o.signal?.aborted ? 0 : Math.min(manifest.params.proofTimeoutMs, 10_000));
    await rc.client.close();
    await logged;
  }

  // Nodes alive at the end are those the backend still runs; one that died on its own is a finding.
  const running = await backend.running(run);
  const alive = run.record.live.filter((id) => running.get(id) === true);
  const gone = run.record.live.filter((id) => running.get(id) !== true);
  let lastSettle = -Infinity;
  const settle = await waitSettled({
    nodes: alive, eventsPath: (id) => run.layout.events(id), accepted: workload.accepted(), timeoutMs: o.settleMs ?? 60_000, clock,
    ...(o.signal && { signal: o.signal }),
    onProgress: (p) => {
      if (p.elapsedMs - lastSettle < every && p.complete < p.total) return;
      lastSettle = p.elapsedMs;
      o.onProgress?.({ phase: 'settle', progress: p });
    },
  }).catch((e: unknown) => { throw o.signal?.aborted ? abortError(o.signal, 'chaos: settling') : e; });
  o.onProgress?.({ phase: 'check' });
  const checked = await report({ runDir: run.layout.dir });
  const problems = judge(stats, settle, checked.report);
  if (gone.length > 0) problems.unshift(`node(s) ${gone.join(', ')} no longer run after the heal: see \`spinoza logs ${gone[0]}\``);
  return {
    runId: run.layout.runId, runDir: run.layout.dir, session, via, schedule, t0, healedAt: execution.healedAt,
    faults: execution.records, workload: stats, settle, report: checked.report, files: checked.files, ok: problems.length === 0, problems,
  };
}

function judge(w: WorkloadStats, s: SettleResult, r: Report): string[] {
  const problems: string[] = [];
  if (w.accepted === 0) problems.push('the entry node accepted no broadcast: there was nothing to check');
  if (!s.ok) {
    const missing = s.missing.reduce((n, m) => n + m.count, 0);
    problems.push(`after ${Math.round(s.ms / 100) / 10} s, ${s.missing.length} live node(s) still miss ${missing} accepted broadcast(s): `
      + s.missing.slice(0, 5).map((m) => `node ${m.node} (${m.count})`).join(', '));
  }
  if (r.totals.misses.protocolFailure > 0) problems.push(`the checker found ${r.totals.misses.protocolFailure} protocol failure(s)`);
  return problems;
}
