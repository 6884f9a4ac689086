// Shared pieces of the benchmarks: CPU readings from /metrics, the crypto floor, the table.
import { randomBytes } from 'node:crypto';
import { deriveKeyPair, sign, verify } from '../node/crypto/index.js';
import type { OpenRun } from '../orchestrator/index.js';

export interface BenchRow {
  strategy: string;
  deliveryRatio: number | null;
  p50: number | null;
  p99: number | null;
  duplicatesPerDelivery: number | null;
  cpuMsPerBroadcastPerNode: number;
  /** The same, less the idle CPU (timers, anti-entropy) over the strategy's wall time. */
  cpuMsPerBroadcastPerNodeNet: number;
  messagesPerBroadcast: number | null;
  bytesPerBroadcast: number | null;
  broadcastsPerSecond: number;
}

/** Sum of process_cpu_seconds_total over every live node of the run. */
export async function readCpuSeconds(run: OpenRun): Promise<number> {
  const byId = new Map(run.directory.nodes.map((n) => [n.id, n]));
  const values = await Promise.all(run.record.live.map(async (id) => {
    const n = byId.get(id)!;
    const text = await (await fetch(`http://${n.host}:${n.port}/metrics`)).text();
    const m = /^process_cpu_seconds_total ([0-9.e+-]+)$/m.exec(text);
    if (!m) throw new Error(`node ${id}: no process_cpu_seconds_total in /metrics`);
    return Number(m[1]);
  }));
  return values.reduce((a, b) => a + b, 0);
}

/** One verify + one sign on node:crypto, measured now: the per-node CPU floor of a broadcast. */
export function floorMsPerHop(): number {
  const key = deriveKeyPair('floor', 'node', 1);
  const data = randomBytes(300);
  const sig = sign(key, data);
  const n = 2000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    verify(key.publicKey, data, sig);
    sign(key, data);
  }
  return (performance.now() - t0) / n;
}

const fmt = (v: number | null, digits = 1): string => (v === null ? '–' : v.toFixed(digits));

export function renderTable(rows: BenchRow[]): string {
  const head = ['strategy', 'delivery', 'p50 ms', 'p99 ms', 'dup/deliv', 'cpu ms/bc/node', 'net', 'msgs/bc', 'KiB/bc', 'bc/s'];
  const body = rows.map((r) => [
    r.strategy,
    r.deliveryRatio === null ? '–' : `${(Math.floor(r.deliveryRatio * 10000) / 100).toFixed(2)}%`,
    fmt(r.p50), fmt(r.p99), fmt(r.duplicatesPerDelivery, 3), fmt(r.cpuMsPerBroadcastPerNode, 3), fmt(r.cpuMsPerBroadcastPerNodeNet, 3),
    fmt(r.messagesPerBroadcast, 1), r.bytesPerBroadcast === null ? '–' : (r.bytesPerBroadcast / 1024).toFixed(1), fmt(r.broadcastsPerSecond),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n';
}
