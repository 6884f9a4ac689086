// The membership bench's view of the nodes' NDJSON event logs, read while they grow: which
// certificates each node applied and when, detector suspicions, proposals, deliveries, restarts.
// Parsing is loose on purpose (kinds and verdicts stay strings): a kind a newer node adds, such as
// 'suspend', is counted rather than dropped (docs/membership.md).
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { z } from 'zod';
import { EVENTS_FILE } from '../../orchestrator/checker/load.js';

const Membership = z.object({
  t: z.number(), node: z.number().int(), ev: z.literal('membership'), what: z.string(),
  of: z.number().int(), epoch: z.number().int().optional(), kind: z.string().optional(),
});
const Delivered = z.object({ t: z.number(), node: z.number().int(), ev: z.literal('delivered'), id: z.string() });
const Started = z.object({ t: z.number(), node: z.number().int(), ev: z.literal('started') });
const DirectoryEv = z.object({ t: z.number(), node: z.number().int(), ev: z.literal('directory'), epoch: z.number().int() });

/** One certified change as one node applied it. */
export interface Applied {
  /** The node that applied it, and when (its clock: the same host's). */
  observer: number;
  t: number;
  of: number;
  epoch: number;
  kind: string;
}

/** A detector verdict or a proposal, by `observer` about `of`. */
export interface Verdict {
  observer: number;
  t: number;
  of: number;
  kind: string;
}

/** What the logs said so far. Pure accumulation: `add` one line at a time. */
export class MembershipLog {
  readonly applied: Applied[] = [];
  readonly suspicions: Verdict[] = [];
  readonly proposals: Verdict[] = [];
  /** Broadcast id → nodes that delivered it (by relay, submit or repair). */
  readonly deliveries = new Map<string, Set<number>>();
  /** Each node's directory epoch, as its last `directory` or `started` event says. */
  readonly epochs = new Map<number, number>();
  malformed = 0;

  add(line: string): void {
    // Cheapest first: most lines (received, forwarded) are none of ours.
    const kind = line.includes('"ev":"membership"') ? Membership
      : line.includes('"ev":"delivered"') ? Delivered
        : line.includes('"ev":"directory"') ? DirectoryEv
          : line.includes('"ev":"started"') ? Started : null;
    if (kind === null) return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      this.malformed += 1; // a node killed mid-write leaves a torn last line
      return;
    }
    const parsed = kind.safeParse(json);
    if (!parsed.success) {
      this.malformed += 1;
      return;
    }
    this.take(parsed.data);
  }

  private take(e: z.infer<typeof Membership> | z.infer<typeof Delivered> | z.infer<typeof Started> | z.infer<typeof DirectoryEv>): void {
    switch (e.ev) {
      case 'delivered': {
        const set = this.deliveries.get(e.id) ?? new Set<number>();
        set.add(e.node);
        this.deliveries.set(e.id, set);
        return;
      }
      case 'directory':
        this.epochs.set(e.node, e.epoch);
        return;
      case 'started':
        this.epochs.set(e.node, 0); // a restarted node begins again from genesis
        return;
      case 'membership':
        if (e.what === 'certified' && e.kind !== undefined && e.epoch !== undefined) {
          this.applied.push({ observer: e.node, t: e.t, of: e.of, epoch: e.epoch, kind: e.kind });
        } else if (e.what === 'suspect') this.suspicions.push({ observer: e.node, t: e.t, of: e.of, kind: 'suspect' });
        else if (e.what === 'propose') this.proposals.push({ observer: e.node, t: e.t, of: e.of, kind: e.kind ?? '?' });
    }
  }
}

interface FileState { offset: number; rest: string; decoder: StringDecoder }

/**
 * Reads every `node-<id>.ndjson` in `dir` from where it stopped last time: whole lines only (a
 * partial last line waits for the next poll). Files appear as nodes start; a restarted node appends.
 */
export class EventTail {
  private readonly files = new Map<string, FileState>();
  /** One read buffer: files are read one after another. */
  private readonly buf = Buffer.alloc(1 << 20);

  constructor(private readonly dir: string, private readonly onLine: (line: string) => void) {}

  async poll(): Promise<void> {
    for (const name of (await readdir(this.dir)).filter((n) => EVENTS_FILE.test(n)).sort()) {
      const f = this.files.get(name) ?? { offset: 0, rest: '', decoder: new StringDecoder('utf8') };
      this.files.set(name, f);
      await this.readFrom(join(this.dir, name), f);
    }
  }

  private async readFrom(path: string, f: FileState): Promise<void> {
    const fh = await open(path, 'r');
    try {
      const buf = this.buf;
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, f.offset);
        if (bytesRead === 0) return;
        f.offset += bytesRead;
        // The decoder holds back a character cut in two by the read.
        const lines = (f.rest + f.decoder.write(buf.subarray(0, bytesRead))).split('\n');
        f.rest = lines.pop()!;
        for (const line of lines) if (line !== '') this.onLine(line);
      }
    } finally {
      await fh.close();
    }
  }
}
