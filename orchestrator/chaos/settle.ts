// After the heal: wait until every node alive at the end has delivered every accepted broadcast, as
// the nodes' own event logs say, or a deadline passes. Logs are read incrementally: each poll picks up
// where the last one stopped, so waiting costs what the nodes wrote since, not the whole logs.
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import type { Clock } from './executor.js';

/** The ids a node's event log says it delivered, read as the log grows. */
export class DeliveredTail {
  readonly ids = new Set<string>();
  private offset = 0;
  private rest = '';
  private decoder = new StringDecoder('utf8');

  constructor(readonly path: string) {}

  async poll(): Promise<void> {
    let fh;
    try {
      fh = await open(this.path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // the node has not logged yet
      throw e;
    }
    try {
      const { size } = await fh.stat();
      if (size <= this.offset) return;
      const buf = Buffer.alloc(size - this.offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, this.offset);
      this.offset += bytesRead;
      const lines = (this.rest + this.decoder.write(buf.subarray(0, bytesRead))).split('\n');
      // The last piece may be a line the node is still writing: keep it for the next poll.
      this.rest = lines.pop() ?? '';
      for (const line of lines) this.take(line);
    } finally {
      await fh.close();
    }
  }

  private take(line: string): void {
    if (!line.includes('"delivered"')) return;
    try {
      const e = JSON.parse(line) as { ev?: unknown; id?: unknown };
      if (e.ev === 'delivered' && typeof e.id === 'string') this.ids.add(e.id);
    } catch {
      // A line torn by a kill -9 (the node's restart appends after it): not a delivery.
    }
  }
}

export interface SettleProgress {
  /** Nodes holding every accepted broadcast. */
  complete: number;
  total: number;
  /** (node, broadcast) pairs still missing. */
  missing: number;
  elapsedMs: number;
}

export interface SettleResult {
  ok: boolean;
  ms: number;
  /** Nodes still missing broadcasts at the deadline, with (at most 10 of) the ids. */
  missing: { node: number; count: number; ids: string[] }[];
}

export interface SettleOptions {
  nodes: readonly number[];
  eventsPath: (id: number) => string;
  accepted: readonly string[];
  timeoutMs: number;
  /** Between polls. Default 250. */
  pollMs?: number;
  clock: Clock;
  signal?: AbortSignal;
  onProgress?: (p: SettleProgress) => void;
}

export async function waitSettled(o: SettleOptions): Promise<SettleResult> {
  const start = o.clock.now();
  const tails = new Map(o.nodes.map((id) => [id, new DeliveredTail(o.eventsPath(id))]));
  for (;;) {
    await Promise.all([...tails.values()].map((t) => t.poll()));
    const missing = [...tails].map(([node, t]) => {
      const ids = o.accepted.filter((id) => !t.ids.has(id));
      return { node, count: ids.length, ids: ids.slice(0, 10) };
    }).filter((m) => m.count > 0);
    const elapsedMs = o.clock.now() - start;
    o.onProgress?.({ complete: tails.size - missing.length, total: tails.size, missing: missing.reduce((n, m) => n + m.count, 0), elapsedMs });
    if (missing.length === 0 || elapsedMs >= o.timeoutMs) return { ok: missing.length === 0, ms: elapsedMs, missing };
    await o.clock.sleep(Math.min(o.pollMs ?? 250, o.timeoutMs - elapsedMs), o.signal);
  }
}
