// Text the CLI prints: pure functions from results to strings, plus the `up` progress line.
import type { DeliverySummary } from '../../client/index.js';
import type { UpProgress } from '../backends/backend.js';
import type { DownResult } from '../down.js';
import type { DirectorySummary } from '../directory-view.js';
import type { NodeStatus, RunStatus } from '../status.js';
import type { UpResult } from '../up.js';

const ids = (xs: readonly number[], max = 20): string =>
  xs.length === 0 ? 'none' : xs.slice(0, max).join(', ') + (xs.length > max ? `, … (${xs.length} in all)` : '');

const ms = (v: number | null): string => (v === null ? '–' : `${v} ms`);

/** The object `broadcast --json` and `verify --json` print (the CLI contract's fields, then extras). */
export const deliveryJson = (s: DeliverySummary, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: s.id,
  expected: s.expected,
  delivered: s.delivered,
  missing: s.missing,
  latencyMs: s.latencyMs,
  proofValid: s.proofValid,
  complete: s.complete,
  ...extra,
});

/** Delivered to every expected node with a valid proof: the bar `broadcast`, `verify` and `demo` hold. */
export const fullyDelivered = (s: DeliverySummary): boolean => s.proofValid && s.missing.length === 0;

export function formatDelivery(s: DeliverySummary, source: string): string {
  const lines = [
    `broadcast ${s.id}`,
    `  delivered to ${s.delivered}/${s.expected} live nodes (${source}) · proof ${s.proofValid ? 'valid' : 'INVALID'}` +
      ` · ${s.complete ? 'complete' : 'partial (proof timeout)'}`,
    `  latency p50 ${ms(s.latencyMs.p50)} · p99 ${ms(s.latencyMs.p99)} · max ${ms(s.latencyMs.max)}`,
    `  missing: ${ids(s.missing)}`,
    ...s.problems.slice(0, 10).map((p) => `  problem: ${p}`),
  ];
  return lines.join('\n') + '\n';
}

/** `3 (corrupt), 7 (flood)`: each byzantine node with its misbehaviour. */
const byzantineIds = (xs: UpResult['byzantine'], max = 20): string =>
  xs.length === 0 ? 'none'
    : xs.slice(0, max).map((b) => `${b.id} (${b.kind})`).join(', ') + (xs.length > max ? `, … (${xs.length} in all)` : '');

export function formatUp(r: UpResult): string {
  const first = r.nodes[0]!;
  const last = r.nodes.at(-1)!;
  return [
    `run ${r.runId} is up: ${r.live.length} live node(s) of ${r.nodes.length} on ${first.host}:${first.port}-${last.port} (${r.backend} backend)`,
    `  dead: ${ids(r.dead)} · unreliable: ${ids(r.unreliable)} · byzantine: ${byzantineIds(r.byzantine)}`,
    `  state dir: ${r.runDir}`,
    `  next: spinoza broadcast hello · spinoza status · spinoza report · spinoza down`,
  ].join('\n') + '\n';
}

export function formatStatus(s: RunStatus): string {
  const byzantine = s.nodes.filter((n) => n.role === 'byzantine');
  const byzantineNote = byzantine.length === 0 ? ''
    : ` · ${byzantine.filter((n) => n.health === 'ok').length}/${byzantine.length} byzantine nodes answering`;
  const header = `run ${s.runId} (${s.backend}, ${s.state}) · network ${s.network} · ${s.healthy}/${s.live} live nodes healthy${byzantineNote}\n` +
    `state dir: ${s.runDir}\n` + `${formatDirectorySummary(s.directory)}\n`;
  const rows = s.nodes.map((n) => [
    String(n.id), n.address, roleCell(n), n.status, n.pid === null ? '–' : String(n.pid),
    n.running === null ? '–' : n.running ? 'yes' : 'no', n.health === 'down' ? `down (${n.error ?? '?'})` : n.health,
    epochCell(n, s.directory), n.directory?.status ?? (n.directoryError !== undefined ? `? (${n.directoryError})` : '–'),
  ]);
  return header + table(['ID', 'ADDRESS', 'ROLE', 'GENESIS', 'PID', 'RUNNING', 'HEALTH', 'EPOCH', 'SELF'], rows);
}

/** The role, with a byzantine node's misbehaviour: `byzantine:corrupt`. */
const roleCell = (n: NodeStatus): string => (n.behaviour === undefined ? n.role : `${n.role}:${n.behaviour}`);

/** The node's directory epoch, marked when it lags the latest one or holds another snapshot of it. */
function epochCell(n: NodeStatus, latest: DirectorySummary | null): string {
  if (n.directory === null) return '–';
  const { epoch, hash } = n.directory;
  if (latest === null || epoch < latest.epoch) return `${epoch}${latest ? ' (behind)' : ''}`;
  return hash === latest.hash ? String(epoch) : `${epoch} (fork ${hash.slice(0, 8)})`;
}

/** One line: the latest directory, how many nodes hold it, and who is not UP in it. */
export function formatDirectorySummary(d: DirectorySummary | null): string {
  if (d === null) return 'directory: no node answered GET /directory';
  const parts = [
    `directory: epoch ${d.epoch} (${d.hash.slice(0, 8)}) held by ${d.agree}/${d.answered} answering nodes`,
    ...(d.behind.length > 0 ? [`behind: ${ids(d.behind)}`] : []),
    ...(d.divergent.length > 0 ? [`FORK at epoch ${d.epoch}: ${ids(d.divergent)}`] : []),
    `DOWN: ${ids(d.down)}`,
    `UNRELIABLE: ${ids(d.unreliable)}`,
    `NEW: ${ids(d.new)}`,
    ...Object.entries(d.other).map(([status, xs]) => `${status}: ${ids(xs)}`),
    `registered after genesis: ${ids(d.registered)}`,
  ];
  return parts.join(' · ');
}

export function formatDown(r: DownResult): string {
  return `run ${r.runId} is down: stopped ${r.stopped.length} node(s)\n` +
    (r.purged ? `  removed ${r.runDir}\n` : `  state kept in ${r.runDir} (delete it with \`spinoza down --purge\` next time)\n`);
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

/**
 * Progress of `up` on stderr: one rewritten line on a terminal; otherwise a line per phase and at
 * most one every `everyMs` (CI logs stay short).
 */
export function progressPrinter(out: NodeJS.WriteStream, everyMs = 2_000): { update(p: UpProgress): void; done(): void } {
  let lastPhase = '';
  let lastAt = 0;
  let open = false;
  const text = (p: UpProgress): string =>
    p.phase === 'preflight' ? 'preflight checks…'
      : p.phase === 'image' ? `building the node image: ${p.step}`
      : p.phase === 'starting' ? `starting nodes ${p.started}/${p.total}`
        : `waiting for /health ${p.ready}/${p.total}`;
  return {
    update(p) {
      if (out.isTTY) {
        out.write(`\r\x1b[K${text(p)}`);
        open = true;
        return;
      }
      const now = Date.now();
      const last = (p.phase === 'starting' && p.started === p.total) || (p.phase === 'waiting' && p.ready === p.total);
      if (p.phase !== lastPhase || last || now - lastAt >= everyMs) {
        out.write(`${text(p)}\n`);
        lastPhase = p.phase;
        lastAt = now;
      }
    },
    done() {
      if (open) out.write('\r\x1b[K');
      open = false;
    },
  };
}
