// What each CLI command does: parse its flags into API calls, print the results. The only code that writes output.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StrategyName } from '../../node/wire/schemas.js';
import { backendFor } from '../backends/backend.js';
import { broadcast } from '../broadcast.js';
import { chaosCommand, formatProgress } from '../chaos/index.js';
import { formatReport } from '../checker/index.js';
import { demo } from '../demo.js';
import { down } from '../down.js';
import { SpinozaError } from '../errors.js';
import { loadManifest, type ManifestOverrides } from '../manifest.js';
import { shapeCommand } from '../impair/index.js';
import { joinNodes, type JoinProgress, type JoinResult } from '../join.js';
import { report } from '../report.js';
import { nodeEntry, openRun } from '../run.js';
import { runLayout, startedNodes } from '../state.js';
import { status } from '../status.js';
import { up } from '../up.js';
import { verify } from '../verify.js';
import { deliveryJson, formatDelivery, formatDown, formatStatus, formatUp, fullyDelivered, progressPrinter } from './format.js';
import type { CommandName } from './spec.js';

export type Values = Record<string, string | boolean | undefined>;

export interface CliContext {
  home: string;
  /** Whether --state-dir or SPINOZA_HOME chose `home` (demo otherwise uses a temporary one). */
  homeGiven: boolean;
  args: string[];
  values: Values;
  signal: AbortSignal;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
}

/** Each command resolves with its exit code; failures throw a SpinozaError. */
export const HANDLERS: Record<CommandName, (ctx: CliContext) => Promise<number>> = {
  async up(ctx) {
    const manifest = await loadManifest(str(ctx.values, 'manifest'), manifestOverrides(ctx.values));
    const progress = progressPrinter(ctx.stderr);
    const timeout = int(ctx.values, 'timeout');
    const runId = str(ctx.values, 'run-id');
    try {
      const r = await up({
        home: ctx.home, manifest, signal: ctx.signal, onProgress: progress.update,
        ...(timeout !== undefined && { healthTimeoutMs: timeout }),
        ...(runId !== undefined && { runId }),
      });
      progress.done();
      ctx.stdout.write(ctx.values.json ? JSON.stringify(r) + '\n' : formatUp(r));
      return 0;
    } finally {
      progress.done();
    }
  },

  async status(ctx) {
    const s = await status({ home: ctx.home, signal: ctx.signal });
    ctx.stdout.write(ctx.values.json ? JSON.stringify(s) + '\n' : formatStatus(s));
    return 0;
  },

  async join(ctx) {
    const count = int(ctx.values, 'count');
    if (count === undefined) throw new SpinozaError('usage', 'join: --count N is required', 'e.g. `spinoza join --count 3`; see `spinoza join --help`');
    const via = int(ctx.values, 'via');
    const timeoutMs = int(ctx.values, 'timeout');
    const r = await joinNodes({
      home: ctx.home, count, signal: ctx.signal,
      onProgress: (p) => ctx.stderr.write(`${joinProgressText(p)}\n`),
      ...(via !== undefined && { via }),
      ...(timeoutMs !== undefined && { timeoutMs }),
    });
    ctx.stdout.write(ctx.values.json ? JSON.stringify(r) + '\n' : formatJoin(r));
    return 0;
  },

  async broadcast(ctx) {
    const [text] = ctx.args;
    const via = int(ctx.values, 'via');
    const timeoutMs = int(ctx.values, 'timeout');
    const strategy = strategyFlag(ctx.values);
    const r = await broadcast({
      home: ctx.home, text: text!, signal: ctx.signal,
      ...(via !== undefined && { via }),
      ...(timeoutMs !== undefined && { timeoutMs }),
      ...(strategy !== undefined && { strategy }),
    });
    ctx.stdout.write(ctx.values.json ? JSON.stringify(deliveryJson(r, { via: r.via })) + '\n' : formatDelivery(r, `via node ${r.via}`));
    return fullyDelivered(r) ? 0 : 1;
  },

  async verify(ctx) {
    const timeoutMs = int(ctx.values, 'timeout');
    const r = await verify({ home: ctx.home, id: ctx.args[0]!, signal: ctx.signal, ...(timeoutMs !== undefined && { timeoutMs }) });
    ctx.stdout.write(ctx.values.json ? JSON.stringify(deliveryJson(r, { source: r.source })) + '\n' : formatDelivery(r, `proof from node ${r.source}`));
    return fullyDelivered(r) ? 0 : 1;
  },

  async report(ctx) {
    const runId = str(ctx.values, 'run-id');
    const r = await report(runId === undefined ? { home: ctx.home } : { runDir: runLayout(ctx.home, runId).dir });
    ctx.stdout.write(ctx.values.json ? JSON.stringify(r.report) + '\n' : `${formatReport(r.report)}\nreport.json: ${r.files.json}\nreport.html: ${r.files.html}\n`);
    return 0;
  },

  async logs(ctx) {
    const id = parseIntArg(ctx.args[0]!, 'NODE');
    const run = await openRun(ctx.home);
    nodeEntry(run, id);
    if (!startedNodes(run.record).includes(id)) {
      throw new SpinozaError('unknown-node', `node ${id} is dead in run ${run.layout.runId}: it was never started, so it has no log`, 'pick a live node; see `spinoza status`');
    }
    ctx.stdout.write(await (await backendFor(run.record.backend)).logs(run, id));
    return 0;
  },

  async down(ctx) {
    ctx.stdout.write(formatDown(await down({ home: ctx.home, purge: ctx.values.purge === true })));
    return 0;
  },

  async demo(ctx) {
    const manifest = await loadManifest(str(ctx.values, 'manifest'), manifestOverrides(ctx.values));
    const home = ctx.homeGiven ? ctx.home : await mkdtemp(join(tmpdir(), 'spinoza-demo-'));
    const progress = progressPrinter(ctx.stderr);
    const timeoutMs = int(ctx.values, 'timeout');
    const runId = str(ctx.values, 'run-id');
    const keep = ctx.homeGiven || ctx.values.keep === true;
    let ok = false;
    try {
      const r = await demo({
        home, manifest, signal: ctx.signal,
        onProgress: progress.update,
        onBroadcast: (done, total, b) => {
          progress.done();
          ctx.stderr.write(`broadcast ${done}/${total} ${b.id.slice(0, 12)}…: ${b.delivered}/${b.expected} delivered, proof ${b.proofValid ? 'valid' : 'INVALID'}, max ${b.latencyMs.max ?? '–'} ms\n`);
        },
        ...(timeoutMs !== undefined && { timeoutMs }),
        ...(runId !== undefined && { runId }),
      });
      ctx.stdout.write(`${formatReport(r.report.report)}\n${keep ? `report: ${r.report.files.html}\n` : ''}`);
      if (!r.ok) {
        throw new SpinozaError('delivery-incomplete', r.failures.join(' | ') || 'not every broadcast was sent',
          `see the report above, and the run's logs in ${r.run.runDir}`);
      }
      ok = true;
      ctx.stdout.write(`demo ok: ${r.results.length} broadcast(s) delivered to all ${r.run.live.length} live nodes with valid proofs\n`);
      return 0;
    } finally {
      progress.done();
      // Every node is stopped by now; the files go too, unless asked for or needed to see what failed.
      if (keep || !ok) ctx.stderr.write(`state kept in ${home}\n`);
      else await rm(home, { recursive: true, force: true });
    }
  },

  async shape(ctx) {
    const r = await shapeCommand({ home: ctx.home, positionals: ctx.args, values: ctx.values, signal: ctx.signal });
    ctx.stdout.write(ctx.values.json ? JSON.stringify(r.json) + '\n' : r.text);
    return r.exitCode;
  },

  async chaos(ctx) {
    const r = await chaosCommand({
      home: ctx.home, values: ctx.values, signal: ctx.signal,
      onProgress: (p) => ctx.stderr.write(formatProgress(p) + '\n'),
    });
    ctx.stdout.write(ctx.values.json ? JSON.stringify(r.json) + '\n' : r.text);
    return r.exitCode;
  },
};

const joinProgressText = (p: JoinProgress): string =>
  p.phase === 'starting' ? `join: starting new nodes ${p.started}/${p.total}` : `join: admitted ${p.admitted}/${p.total}`;

function formatJoin(r: JoinResult): string {
  return [
    `run ${r.runId}: ${r.joined.length} node(s) joined by quorum`,
    ...r.joined.map((j) => `  node ${j.id} at ${j.host}:${j.port} (admitted at epoch ${j.epoch})`),
    `  directory: epoch ${r.epoch}, ${r.nodes} nodes, ${r.members} in good standing`,
  ].join('\n') + '\n';
}

function manifestOverrides(v: Values): ManifestOverrides {
  const o: ManifestOverrides = {};
  const set = (key: keyof ManifestOverrides, flag: string): void => {
    const value = str(v, flag);
    if (value !== undefined) o[key] = value;
  };
  set('nodes', 'nodes');
  set('strategy', 'strategy');
  set('seed', 'seed');
  set('dead', 'dead');
  set('unreliable', 'unreliable');
  set('backend', 'backend');
  set('basePort', 'base-port');
  set('host', 'host');
  return o;
}

const str = (v: Values, name: string): string | undefined => (typeof v[name] === 'string' ? v[name] : undefined);

function int(v: Values, name: string): number | undefined {
  const s = str(v, name);
  return s === undefined ? undefined : parseIntArg(s, `--${name}`);
}

function parseIntArg(s: string, what: string): number {
  if (!/^\d+$/.test(s.trim()) || !Number.isSafeInteger(Number(s))) {
    throw new SpinozaError('usage', `${what}: expected a non-negative integer, got "${s}"`, 'see --help');
  }
  return Number(s);
}

function strategyFlag(v: Values): StrategyName | undefined {
  const s = str(v, 'strategy');
  if (s === undefined) return undefined;
  const parsed = StrategyName.safeParse(s);
  if (!parsed.success) throw new SpinozaError('usage', `--strategy: expected one of ${StrategyName.options.join(', ')}, got "${s}"`, 'see --help');
  return parsed.data;
}
