// NDJSON event records: what each node logs and what the checker reads (docs/events.md).
import { z } from 'zod';
import { ImpairmentProfile } from '../impairment/profile.js';
import { REJECT_REASONS } from '../wire/verdict.js';
import { QuorumCertificate, Misbehaviour } from '../wire/schemas.js';

const base = { t: z.number(), node: z.number().int() };
const id = z.string();

export const NodeEvent = z.discriminatedUnion('ev', [
  z.object({ ...base, ev: z.literal('started'), port: z.number().int(), epoch: z.number().int(), pid: z.number().int() }),
  z.object({ ...base, ev: z.literal('stopped') }),
  /** A newer directory snapshot took effect. */
  z.object({ ...base, ev: z.literal('directory'), epoch: z.number().int(), hash: z.string(), members: z.number().int() }),
  /** A client's broadcast accepted at its entry node. `ts` is the initiator's timestamp. */
  z.object({ ...base, ev: z.literal('published'), id, from: z.union([z.number(), z.string()]), strategy: z.string(), ts: z.number(), bytes: z.number().int() }),
  /** Every relay frame, duplicates included. */
  z.object({ ...base, ev: z.literal('received'), id, peer: z.number().int(), dup: z.boolean(), bytes: z.number().int() }),
  /** First valid copy handed to the application. `ts` is the initiator's timestamp. */
  z.object({ ...base, ev: z.literal('delivered'), id, ts: z.number(), via: z.enum(['submit', 'relay', 'repair']).optional() }),
  z.object({ ...base, ev: z.literal('forwarded'), id, to: z.number().int(), bytes: z.number().int() }),
  z.object({ ...base, ev: z.literal('rejected'), reason: z.enum(REJECT_REASONS), detail: z.string(), peer: z.string() }),
  z.object({ ...base, ev: z.literal('routed-around'), id, child: z.number().int(), adopted: z.array(z.number().int()) }),
  /** The entry node finished (or gave up waiting for) a delivery proof. */
  z.object({ ...base, ev: z.literal('proof'), id, receipts: z.number().int(), unreached: z.array(z.number().int()), complete: z.boolean() }),
  /** The impairment in effect changed (null: cleared); `mode` says who applies it. */
  z.object({ ...base, ev: z.literal('impairment'), mode: z.enum(['userspace']), profile: ImpairmentProfile.nullable() }),
  /**
   * A membership decision (docs/membership.md): detector verdicts, accusations this node made,
   * proposals, and certified changes with their certificate.
   */
  z.object({
    ...base, ev: z.literal('membership'), what: z.enum(['suspect', 'alive', 'accuse', 'propose', 'certified']),
    of: z.number().int(), epoch: z.number().int().optional(), kind: z.enum(['down', 'up', 'suspend', 'register']).optional(),
    misbehaviour: Misbehaviour.optional(), ref: z.string().optional(),
    certificate: QuorumCertificate.optional(),
  }),
]);
export type NodeEvent = z.infer<typeof NodeEvent>;
export type NodeEventKind = NodeEvent['ev'];
/** An event before the sink stamps time and node. */
export type EventBody = NodeEvent extends infer E ? (E extends NodeEvent ? Omit<E, 't' | 'node'> : never) : never;
