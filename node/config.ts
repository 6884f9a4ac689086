// A node's configuration file (written by the orchestrator, read by node/main.ts). Defaults live here.
import { z } from 'zod';
import { DirectoryData } from './directory/schema.js';
import { ImpairmentProfile } from './impairment/profile.js';
import { NodeId, Signature, StrategyName } from './wire/schemas.js';

/** Protocol parameters: one object, documented defaults (docs/protocol.md#parameters). */
export const ProtocolParams = z.object({
  /** Default dissemination strategy for broadcasts submitted to this node. */
  strategy: StrategyName.default('tree'),
  /** Children neighborhoods per neighborhood in the `tree` strategy. */
  treeFanout: z.number().int().min(1).max(64).default(4),
  /** Peers each node pushes to in the `gossip` strategy (D). */
  gossipFanout: z.number().int().min(1).max(64).default(6),
  /** A child that has not acked within this many ms is routed around. */
  ackTimeoutMs: z.number().int().positive().default(1000),
  /** Re-sends to a silent child before it is reported unreached. */
  maxRetries: z.number().int().nonnegative().default(3),
  /** How long the entry node waits for the whole tree before it answers with a partial proof. */
  proofTimeoutMs: z.number().int().positive().default(10_000),
  /** Broadcasts older than this are refused; ids are remembered this long (replay window). */
  replayWindowMs: z.number().int().positive().default(10 * 60_000),
  /** Largest accepted clock difference between a message's timestamp and ours. */
  maxClockSkewMs: z.number().int().positive().default(30_000),
  maxFrameBytes: z.number().int().positive().default(1 << 20),
  maxBodyBytes: z.number().int().positive().default(64 << 10),
  /** Bound on remembered message ids (the seen-set). */
  maxSeen: z.number().int().positive().default(200_000),
  /** Bound on proofs kept for GET /broadcasts/:id. */
  maxProofs: z.number().int().positive().default(10_000),
  /** Anti-entropy round period; 0 turns repair off. */
  antiEntropyIntervalMs: z.number().int().nonnegative().default(1000),
  /** Peers sent a digest each round. */
  antiEntropyPeers: z.number().int().min(1).max(16).default(2),
  /** Buckets ending less than this ago stay out of digests: the tree is still delivering them. */
  repairGraceMs: z.number().int().nonnegative().default(2000),
  /** Width of a digest's time buckets (by the initiator's timestamp). */
  repairBucketMs: z.number().int().positive().default(5000),
  /** How long delivered messages are kept to repair others, and bound on how many. */
  repairWindowMs: z.number().int().positive().default(5 * 60_000),
  maxRepairStore: z.number().int().positive().default(5000),
  /** Failure detection and quorum-certified DOWN/UP changes (docs/membership.md); off by default. */
  membership: z.boolean().default(false),
  /** SWIM: one member probed per period. */
  probePeriodMs: z.number().int().positive().default(1000),
  /** Wait for a direct ack, then as long again for indirect acks. */
  probeTimeoutMs: z.number().int().positive().default(400),
  /** Members asked to probe a silent target indirectly (k). */
  indirectProbes: z.number().int().min(0).max(16).default(3),
  /** A suspect not heard from within this long is proposed DOWN. */
  suspicionMs: z.number().int().positive().default(3000),
  /** A proposal short of a quorum after this long is dropped (and may be proposed again). */
  proposalTimeoutMs: z.number().int().positive().default(5000),
  /** Accusations older than this no longer count towards a suspension. */
  accusationWindowMs: z.number().int().positive().default(10 * 60_000),
  /** A suspended (UNRELIABLE) node's rejoin is co-signed only after it has sat out this long. */
  suspensionMinMs: z.number().int().nonnegative().default(60_000),
  /** How long a member holds a join request open waiting for its quorum certificate. */
  joinTimeoutMs: z.number().int().positive().default(15_000),
  /** Verify every receipt a child reports before passing it up, so a forged one is caught at the first honest hop. */
  verifyReceipts: z.boolean().default(true),
  /** Broadcasts a node (not a trusted initiator) may originate: a token bucket of this rate and burst. */
  originRatePerSec: z.number().positive().default(10),
  originBurst: z.number().int().positive().default(20),
});
export type ProtocolParams = z.infer<typeof ProtocolParams>;

/**
 * Test-only behaviours. `unreliable`, as in the seed's config: drops a share of incoming relays
 * (no ack, no delivery) and answers the rest late. Decisions are seeded, so runs replay exactly.
 */
export const Behaviour = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('honest') }),
  // Byzantine, for membership tests (docs/membership.md#misbehaviour); each is caught by other members.
  /** Takes no relay (no ack, no forward) yet answers probes: withholding. */
  z.object({ kind: z.literal('drop') }),
  /** Forwards relays with the body altered, so their signature fails. */
  z.object({ kind: z.literal('corrupt') }),
  /** Every `everyMs`, signs two different broadcasts with one nonce and sends each to half the members. */
  z.object({ kind: z.literal('equivocate'), everyMs: z.number().int().positive().default(1000) }),
  /** Adds a receipt with a made-up signature to every report it sends up. */
  z.object({ kind: z.literal('forge-receipt') }),
  /** Originates `ratePerSec` broadcasts of its own, sent straight to every member. */
  z.object({ kind: z.literal('flood'), ratePerSec: z.number().int().positive().default(50) }),
  z.object({
    kind: z.literal('unreliable'),
    dropRate: z.number().min(0).max(1).default(0.2),
    maxDelayMs: z.number().int().nonnegative().default(200),
    seed: z.string().default('unreliable'),
  }),
]);
export type Behaviour = z.infer<typeof Behaviour>;

export const NodeConfig = z.object({
  id: NodeId,
  /** Hex of the node's 32-byte Ed25519 seed. */
  privateKey: z.string().regex(/^[0-9a-f]{64}$/),
  listen: z.object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535) }),
  /** The directory inline, or `directoryPath` to a JSON file of it (one file shared by all nodes). */
  directory: DirectoryData.optional(),
  directoryPath: z.string().optional(),
  params: ProtocolParams.default(ProtocolParams.parse({})),
  behaviour: Behaviour.default({ kind: 'honest' }),
  /** NDJSON event log path; omitted: no event log. */
  eventsPath: z.string().optional(),
  /** Per-run token guarding /control/* (impairment, probe); omitted: those endpoints are disabled. */
  control: z.object({ token: z.string().min(16) }).optional(),
  /** Impairment in effect from the start (userspace mode); changed later by PUT /control/impairment. */
  impairment: ImpairmentProfile.optional(),
});
export type NodeConfig = z.infer<typeof NodeConfig>;
export const NODE_CONFIG_NEEDS_ONE_DIRECTORY = 'give exactly one of directory and directoryPath';
export type NodeConfigInput = z.input<typeof NodeConfig>;

/**
 * A node that is not in genesis and joins by quorum (`node dist/node/main.js --enrol FILE`,
 * docs/membership.md#registration): its key, the authority's credential for it, genesis, and members
 * to ask. Once admitted it keeps its id, directory and certificate chain in `enrolledPath`, so a
 * restart resumes as that node instead of registering again.
 */
export const EnrolConfig = NodeConfig.omit({ id: true, directory: true, directoryPath: true }).extend({
  /** The genesis directory (the same genesis.json the other nodes start from). */
  directoryPath: z.string(),
  /** The testnet authority's admission credential for this key (base64 Ed25519 signature). */
  credential: Signature,
  /** Members' HTTP base URLs, asked in turn. */
  bootstrap: z.array(z.string().url()).min(1),
  /** How peers reach this node, as the directory will list it; default: `listen`. */
  advertise: z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535) }).optional(),
  /** Where the admission (id, directory, chain) is kept across restarts. */
  enrolledPath: z.string(),
});
export type EnrolConfig = z.infer<typeof EnrolConfig>;
