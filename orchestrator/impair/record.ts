// `<runDir>/impairment.json`: the impairment in effect on the run's nodes, written only once every node
// has confirmed it (and again with the probe's figures), so a report can state which mode ran and what
// was measured — and never an impairment that was not applied (docs/impairment.md#record).
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ImpairmentProfile } from '../../node/impairment/profile.js';
import { NodeId } from '../../node/wire/schemas.js';

export const IMPAIRMENT_FILE = 'impairment.json';

const ms = z.number().nullable();
export const ProbeRecord = z.object({
  mode: z.enum(['userspace', 'kernel']),
  profile: ImpairmentProfile.nullable(),
  tolerance: z.string(),
  pairs: z.array(z.object({
    from: NodeId, to: NodeId, rttMs: ms, toleranceMs: ms, loss: z.number(), sent: z.number(), lost: z.number(),
    rttMedianMs: ms, rttMeanMs: ms, rttP95Ms: ms, linked: z.boolean(),
  })),
  sent: z.number(),
  lost: z.number(),
  lossRate: ms,
  expectedLost: z.number(),
  lostBound: z.object({ min: z.number(), max: z.number() }),
  ok: z.boolean(),
  problems: z.array(z.string()),
});

export const ImpairmentRecord = z.object({
  mode: z.enum(['userspace', 'kernel']),
  /** In effect on every node of `nodes`; null: none (cleared). */
  profile: ImpairmentProfile.nullable(),
  nodes: z.array(NodeId),
  /** Wall clock (ms) when the last node confirmed it. */
  appliedAt: z.number(),
  /** Who put it in effect: the manifest's `impairment.initial` at `up`, or `spinoza shape`. */
  source: z.enum(['up', 'shape']),
  /** Measured after applying; null until the probe has run. */
  probe: ProbeRecord.nullable(),
});
export type ImpairmentRecord = z.infer<typeof ImpairmentRecord>;

/** Atomic replace: a reader never sees half a record. */
export async function writeImpairmentRecord(runDir: string, record: ImpairmentRecord): Promise<void> {
  const file = join(runDir, IMPAIRMENT_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(record, null, 2) + '\n');
  await rename(tmp, file);
}

/** The record, or null when there is none (nothing was applied) or it cannot be read (claim nothing). */
export async function readImpairmentRecord(runDir: string): Promise<ImpairmentRecord | null> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(join(runDir, IMPAIRMENT_FILE), 'utf8'));
  } catch {
    return null;
  }
  const parsed = ImpairmentRecord.safeParse(json);
  return parsed.success ? parsed.data : null;
}
