// `node dist/bench/membership.js`: the membership soak. N node processes with membership on and its
// default timers, under jitter and loss on every link from the start, a broadcast every few seconds,
// for M minutes: any certified DOWN (or other non-UP change) of a live node is a false positive. Then
// K seeded kill rounds: SIGKILL → DOWN on every live node, restart → UP on every live node.
// Figures, not assertions: docs/benchmarks.md#membership. Every node is stopped on exit, Ctrl-C or failure.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { seededRandom } from '../node/impairment/index.js';
import { fetchHealth } from '../orchestrator/health.js';
import { backendFor, connectRunClient, down, openRun, resolveManifest, SpinozaError, up, type OpenRun } from '../orchestrator/index.js';
import { backendRun } from '../orchestrator/run.js';
import type { FaultTarget } from '../orchestrator/backends/faults.js';
import { againstLive, certificates, falsePositives, pickVictims, timing, type DeadWindow, type Spread } from './membership/analyze.js';
import { clock, formatResult, formatRound } from './membership/format.js';
import { EventTail, MembershipLog } from './membership/log.js';
import { buildResult, type BenchParams, type KillRound } from './membership/result.js';
import { startBroadcasts, type BroadcastLoop } from './membership/workload.js';

const USAGE = 'usage: node dist/bench/membership.js [--minutes 10] [--nodes 32] [--loss 1] [--jitter 100] [--latency MS] [--kill-at MIN]\n' +
  '  [--kills 3] [--seed soak] [--interval 5] [--gap 20] [--round-timeout 60] [--base-port 27400] [--state-dir DIR] [--json]\n' +
  '  --loss is a percentage per direction; --latency defaults to --jitter (delay ± jitter is clamped at 0, so a smaller base\n' +
  '  would pile draws at 0); --kill-at (minutes from the soak start, default --minutes) is when the kill rounds begin;\n' +
  '  --gap seconds between rounds; --json prints the result as JSON (it is always written to <run dir>/membership-bench.json)\n';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    nodes: { type: 'string', default: '32' },
    loss: { type: 'string', default: '1' },
    jitter: { type: 'string', default: '100' },
    latency: { type: 'string' },
    'kill-at': { type: 'string' },
    kills: { type: 'string', default: '3' },
    seed: { type: 'string', default: 'soak' },
    interval: { type: 'string', default: '5' },
    gap: { type: 'string', default: '20' },
    'round-timeout': { type: 'string', default: '60' },
    'base-port': { type: 'string', default: '27400' },
    'state-dir': { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

/** A flag as a number in [min, max] (an integer if `int`), or a usage error naming it. */
function num(name: string, raw: string | undefined, min: number, max: number, int = false): number {
  const v = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isFinite(v) || v < min || v > max || (int && !Number.isInteger(v))) {
    process.stderr.write(`--${name}: expected ${int ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(raw)}\n${USAGE}`);
    process.exit(2);
  }
  return v;
}

const nodes = num('nodes', values.nodes, 4, 1000, true);
const minutes = num('minutes', values.minutes, 0, 24 * 60);
const jitterMs = num('jitter', values.jitter, 0, 10_000);
const opts = {
  nodes, minutes, jitterMs,
  loss: num('loss', values.loss, 0, 100) / 100,
  latencyMs: num('latency', values.latency ?? values.jitter, 0, 10_000),
  killAtMinutes: num('kill-at', values['kill-at'] ?? values.minutes, 0, 24 * 60),
  kills: num('kills', values.kills, 0, nodes - 2, true),
  intervalMs: num('interval', values.interval, 0.1, 3600) * 1000,
  gapMs: num('gap', values.gap, 0, 3600) * 1000,
  roundTimeoutMs: num('round-timeout', values['round-timeout'], 1, 3600) * 1000,
  basePort: num('base-port', values['base-port'], 1, 65535 - nodes, true),
  seed: values.seed,
};
/** How long the client waits for a proof; also how long after a kill a broadcast is no longer expected at the victim. */
const PROOF_TIMEOUT_MS = 30_000;
/** The event logs are read this often; timings come from the events' own timestamps, not from this. */
const TAIL_EVERY_MS = 250;
const PROGRESS_EVERY_MS = 30_000;
/** After a node is UP again, detectors may still have it suspect for a probe or two. */
const VERDICT_GRACE_MS = 5_000;

const log = (s: string): void => void process.stderr.write(s + '\n');

// First Ctrl-C: stop, tear down, print what ran. Second: leave at once (the nodes stay up).
const controller = new AbortController();
let home = '';
const onSignal = (): void => {
  if (controller.signal.aborted) {
    log(`interrupted twice: nodes may be left running; stop them with \`spinoza down --state-dir ${home}\``);
    process.exit(130);
  }
  log('interrupted: stopping the nodes…');
  controller.abort(new SpinozaError('aborted', 'interrupted'));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

async function main(): Promise<number> {
  const signal = controller.signal;
  home = values['state-dir'] !== undefined ? resolve(values['state-dir']) : await mkdtemp(join(tmpdir(), 'spinoza-soak-'));
  const manifest = resolveManifest({
    nodes, basePort: opts.basePort, seed: opts.seed,
    params: { membership: true },
    impairment: { profiles: { soak: { latencyMs: opts.latencyMs, jitterMs, loss: opts.loss } }, initial: 'soak' },
  });
  const pm = manifest.params;
  const params: BenchParams = {
    nodes, minutes, killAtMinutes: opts.killAtMinutes, kills: opts.kills, seed: opts.seed,
    latencyMs: opts.latencyMs, jitterMs, loss: opts.loss, intervalMs: opts.intervalMs,
    timers: { probePeriodMs: pm.probePeriodMs, probeTimeoutMs: pm.probeTimeoutMs, indirectProbes: pm.indirectProbes, suspicionMs: pm.suspicionMs, proposalTimeoutMs: pm.proposalTimeoutMs },
  };
  log(`state dir: ${home} (if this process is killed, \`spinoza down --state-dir ${home}\` stops the nodes)`);
  log(`starting ${nodes} node processes: membership on, ${opts.latencyMs} ± ${jitterMs} ms, ${opts.loss * 100}% loss on every link…`);

  const startedAt = Date.now();
  const mlog = new MembershipLog();
  const windows: DeadWindow[] = [];
  const kills: KillRound[] = [];
  let runDir = '';
  /** When every node answered /health: false positives count from here (before it, some were not listening yet). */
  let soakStart = 0;
  let soakEnd = 0;
  let workload: BroadcastLoop | null = null;
  let tail: { stop(): Promise<void>; poll(): Promise<void> } | null = null;
  let error: string | null = null;
  try {
    const started = await up({
      home, manifest, signal,
      onProgress: (p) => {
        if (p.phase !== 'waiting' || p.ready !== p.total || soakStart !== 0) return;
        soakStart = Date.now();
        log(`  ${p.total} healthy; probing the impairment…`);
      },
    });
    runDir = started.runDir;
    soakStart ||= Date.now();
    const run = await openRun(home);
    tail = startTail(new EventTail(dirname(run.layout.events(entryOf(run))), (l) => mlog.add(l)), signal);
    const target = (await backendFor(run.record.backend)).faults!(backendRun(run));
    const entry = entryOf(run);
    const running = new Set(run.record.live);
    const victims = pickVictims(run.record.live.filter((id) => id !== entry), opts.kills, seededRandom(`spinoza/bench/membership/v1\0${opts.seed}`));
    log(`soak: ${minutes} min, a broadcast every ${opts.intervalMs / 1000} s through node ${entry}; kills of ${victims.join(', ') || 'none'} from minute ${opts.killAtMinutes}`);

    workload = startBroadcasts({
      connect: async () => (await connectRunClient(run, entry, signal)).client,
      intervalMs: opts.intervalMs, live: () => [...running].sort((a, b) => a - b),
      proofTimeoutMs: PROOF_TIMEOUT_MS, maxInFlight: 16, signal,
    });
    const progress = setInterval(() => log(progressLine(soakStart, mlog, windows, workload!)), PROGRESS_EVERY_MS);
    try {
      await sleepUntil(soakStart + opts.killAtMinutes * 60_000, signal);
      for (const [i, victim] of victims.entries()) {
        if (i > 0) await delay(opts.gapMs, undefined, { signal });
        const round = await killRound(run, target, victim, running, windows, mlog, signal);
        kills.push(round);
        log(`[${clock(Date.now() - soakStart)}] ${formatRound(i + 1, victims.length, round)}`);
      }
      await sleepUntil(soakStart + minutes * 60_000, signal);
    } finally {
      clearInterval(progress);
    }
    soakEnd = Date.now();
    log(`[${clock(soakEnd - soakStart)}] soak over: waiting for the last proofs`);
    await workload.stop(PROOF_TIMEOUT_MS);
  } catch (e) {
    if (!signal.aborted) error = e instanceof SpinozaError ? e.toLine() : (e as Error).stack ?? String(e);
    if (error) log(`membership bench failed: ${error}`);
  } finally {
    soakEnd ||= Date.now();
    soakStart ||= soakEnd;
    await workload?.stop(0);
    await down({ home }).catch((e: unknown) => {
      if (!(e instanceof SpinozaError && e.code === 'no-run')) log(`down failed: ${(e as Error).message}; run \`spinoza down --state-dir ${home}\``);
    });
    // Stopped nodes flush their last events: read them before the figures.
    await tail?.stop();
    await tail?.poll().catch(() => undefined);
  }
  if (runDir === '') {
    log(controller.signal.aborted ? 'interrupted before the soak began: nothing to report' : 'the testnet did not start: nothing to report');
    return 1;
  }
  for (const w of windows) w.until ??= soakEnd;
  const result = buildResult({
    params, runDir, startedAt, soakStart, soakEnd, workloadStart: workload?.sent[0]?.at ?? 0, interrupted: controller.signal.aborted, error,
    sent: workload?.sent ?? [], skipped: workload?.skipped ?? 0, kills, windows, log: mlog,
    deliveryMs: PROOF_TIMEOUT_MS, verdictGraceMs: VERDICT_GRACE_MS,
  });
  const file = join(runDir, 'membership-bench.json');
  await writeFile(file, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(values.json ? JSON.stringify(result) + '\n' : `\n${formatResult(result)}result: ${file}\n`);
  return error !== null || controller.signal.aborted ? 1 : 0;
}

/** SIGKILL `victim`, time its DOWN everywhere; restart it, time /health and its UP everywhere. */
async function killRound(run: OpenRun, target: FaultTarget, victim: number, running: Set<number>, windows: DeadWindow[],
  mlog: MembershipLog, signal: AbortSignal): Promise<KillRound> {
  const observers = [...running].filter((id) => id !== victim).sort((a, b) => a - b);
  const window: DeadWindow = { node: victim, from: Date.now(), until: null };
  windows.push(window);
  running.delete(victim);
  const killAt = window.from;
  await target.kill(victim);
  const downSpread = await waitAll(() => timing(mlog.applied, victim, 'down', killAt, observers), opts.roundTimeoutMs, signal);
  const downProposals = mlog.proposals.filter((p) => p.of === victim && p.kind === 'down' && p.t >= killAt).length;
  const restartAt = Date.now();
  await target.start(victim);
  const healthyMs = await waitHealthy(run, victim, opts.roundTimeoutMs, signal);
  // A node no one marked DOWN gets no UP certificate: nothing to wait for.
  const upObservers = [...observers, victim].sort((a, b) => a - b);
  const upSpread = downSpread.firstMs === null ? null
    : await waitAll(() => timing(mlog.applied, victim, 'up', restartAt, upObservers), opts.roundTimeoutMs, signal);
  // It counts as alive again (for broadcasts and false positives) once it is UP everywhere.
  window.until = upSpread?.allMs == null ? Date.now() : restartAt + upSpread.allMs;
  running.add(victim);
  return { node: victim, killAt, down: downSpread, downProposals, restartAt, healthyMs: healthyMs === null ? null : healthyMs - restartAt, up: upSpread };
}

/** Polls `spread` until every observer applied the change, or `timeoutMs`; returns the last reading. */
async function waitAll(spread: () => Spread, timeoutMs: number, signal: AbortSignal): Promise<Spread> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = spread();
    if (s.allMs !== null || Date.now() > deadline) return s;
    await delay(TAIL_EVERY_MS, undefined, { signal });
  }
}

/** Wall-clock time the node first answered /health as itself, or null after `timeoutMs`. */
async function waitHealthy(run: OpenRun, id: number, timeoutMs: number, signal: AbortSignal): Promise<number | null> {
  const n = run.directory.nodes.find((x) => x.id === id)!;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await fetchHealth(n, { timeoutMs: 500, signal })).ok) return Date.now();
    await delay(25, undefined, { signal });
  }
  return null;
}

/** Reads the event logs every TAIL_EVERY_MS in the background until stopped. */
function startTail(t: EventTail, signal: AbortSignal): { stop(): Promise<void>; poll(): Promise<void> } {
  const stop = new AbortController();
  const done = AbortSignal.any([stop.signal, signal]);
  let failures = 0;
  const loop = (async () => {
    while (!done.aborted) {
      // A failed read is retried next time (the offsets only move on success); said once, never fatal.
      await t.poll().catch((e: unknown) => { if (failures++ === 0) log(`reading the event logs failed: ${(e as Error).message}; retrying`); });
      await delay(TAIL_EVERY_MS, undefined, { signal: done }).catch(() => undefined);
    }
  })();
  return {
    poll: () => t.poll(),
    async stop() {
      stop.abort();
      await loop;
    },
  };
}

function progressLine(soakStart: number, mlog: MembershipLog, windows: readonly DeadWindow[], w: BroadcastLoop): string {
  const sent = w.sent;
  const full = sent.filter((b) => b.complete === true && b.proofMissing.length === 0).length;
  const failed = sent.filter((b) => b.error !== null).length;
  const fp = falsePositives(certificates(mlog.applied), windows, soakStart).length;
  const epoch = Math.max(0, ...mlog.epochs.values());
  const suspicions = againstLive(mlog.suspicions, windows, soakStart, VERDICT_GRACE_MS).length;
  return `[${clock(Date.now() - soakStart)}] broadcasts ${sent.length} sent, ${full} full proofs, ${failed} failed · ` +
    `directory epoch ${epoch} · false positives ${fp} · suspicions of live nodes ${suspicions}`;
}

/** The broadcasts' entry node, never killed: the lowest live id. */
const entryOf = (run: OpenRun): number => run.record.live[0]!;

const sleepUntil = (at: number, signal: AbortSignal): Promise<void> =>
  delay(Math.max(0, at - Date.now()), undefined, { signal });

main().then(async (code) => {
  await new Promise<void>((done) => process.stdout.write('', () => done()));
  process.exit(code);
}, (e: unknown) => {
  process.stderr.write(`membership bench failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
