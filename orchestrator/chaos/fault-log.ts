// The fault log, `<runDir>/faults.ndjson` (docs/chaos.md#fault-log): one JSON line when a fault starts
// (`end: null`) and one when it has healed, each a complete record; the last line of a fault wins. A
// session cut short leaves its open faults visible as such. The checker reads it to classify misses.
import { appendFile, readFile } from 'node:fs/promises';
import { z } from 'zod';
import { NodeId } from '../../node/wire/schemas.js';

export const FAULT_LOG = 'faults.ndjson';

export const FaultRecord = z.object({
  /** The chaos session (one `spinoza chaos`): `<seed>@<start ms>`. */
  session: z.string(),
  id: z.string(),
  kind: z.enum(['kill', 'pause', 'partition', 'loss']),
  /** kill/pause: the nodes; partition: the cut side; loss: the nodes whose outgoing frames are lost. */
  nodes: z.array(NodeId),
  mode: z.enum(['symmetric', 'inbound', 'outbound']).optional(),
  loss: z.number().min(0).max(1).optional(),
  /** Who applied it: the backend (kill, pause) or the nodes' impairment (partition, loss). */
  by: z.string(),
  /** Offsets in the schedule, ms from the session start. */
  planned: z.object({ at: z.number(), until: z.number() }),
  /** Wall clock (ms): just before the fault was applied, and once it had healed (null: still in effect). */
  start: z.number(),
  end: z.number().nullable(),
  /** Why healing failed, when it did. */
  error: z.string().optional(),
});
export type FaultRecord = z.infer<typeof FaultRecord>;

export async function appendFault(path: string, record: FaultRecord): Promise<void> {
  await appendFile(path, JSON.stringify(record) + '\n');
}

export interface FaultLog {
  /** One record per fault (its latest line), in order of start. */
  records: FaultRecord[];
  /** Lines that were not a fault record (a line torn by a crash). */
  malformed: number;
}

/** Reads a fault log; a missing file is an empty log. */
export async function readFaultLog(path: string): Promise<FaultLog> {
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return '';
    throw e;
  });
  return parseFaultLog(text);
}

export function parseFaultLog(text: string): FaultLog {
  const latest = new Map<string, FaultRecord>();
  let malformed = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      malformed += 1;
      continue;
    }
    const r = FaultRecord.safeParse(json);
    if (!r.success) {
      malformed += 1;
      continue;
    }
    latest.set(`${r.data.session}\0${r.data.id}`, r.data);
  }
  const records = [...latest.values()].sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : 1));
  return { records, malformed };
}

/** A short label for a fault, as the report's shaded windows show it. */
export function faultLabel(f: Pick<FaultRecord, 'kind' | 'nodes' | 'mode' | 'loss'>, total?: number): string {
  const who = f.nodes.length <= 4 ? f.nodes.join(',') : `${f.nodes.length} nodes`;
  switch (f.kind) {
    case 'kill': return `kill ${who}`;
    case 'pause': return `pause ${who}`;
    case 'partition': return `partition ${who}${f.mode && f.mode !== 'symmetric' ? ` (${f.mode})` : ''}`;
    case 'loss': return `loss ${Math.round((f.loss ?? 0) * 1000) / 10}% ${total !== undefined && f.nodes.length === total ? 'all' : who}`;
  }
}
