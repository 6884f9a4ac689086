// zod schemas of every wire message: the one source of truth for frame shapes (docs/protocol.md#frames).
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;

/**
 * Text without lone UTF-16 surrogates: those encode to U+FFFD in UTF-8, so two different strings
 * would share one signature and one message id.
 */
export const WellFormedText = z.string().refine((s) => !/\p{Cs}/u.test(s), { message: 'lone UTF-16 surrogate' });

const b64 = (bytes: number) =>
  z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/).refine((s) => Buffer.from(s, 'base64').length === bytes, {
    message: `expected ${bytes} bytes of base64`,
  });
export const Signature = b64(64);
export const PublicKey = b64(32);
export const MessageId = z.string().regex(/^[0-9a-f]{64}$/);
export const NodeId = z.number().int().positive().max(1_000_000);
/** Trusted initiators (clients) are named; nodes are numbered. */
export const InitiatorName = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/);
export const Origin = z.union([NodeId, InitiatorName]);
export const StrategyName = z.enum(['tree', 'ring', 'gossip']);
export type StrategyName = z.infer<typeof StrategyName>;

/** A broadcast as its initiator signed it; relayed unchanged, serialised once. */
export const Broadcast = z.object({
  v: z.literal(PROTOCOL_VERSION),
  net: WellFormedText.pipe(z.string().min(1).max(64)),
  from: Origin,
  nonce: z.string().regex(/^[0-9a-f]{16,64}$/),
  ts: z.number().int().nonnegative(),
  body: WellFormedText,
  sig: Signature,
});
export type Broadcast = z.infer<typeof Broadcast>;

/** A node's signed statement that it delivered message `id` at time `at`. */
export const Receipt = z.object({ node: NodeId, at: z.number().int().nonnegative(), sig: Signature });
export type Receipt = z.infer<typeof Receipt>;

/** A parent's record that a child never acknowledged (retries exhausted). Evidence, not a verdict. */
export const Unreached = z.object({ node: NodeId, by: NodeId, reason: z.enum(['no-ack', 'unreachable']) });
export type Unreached = z.infer<typeof Unreached>;

export const Hello = z.object({
  type: z.literal('hello'),
  v: z.literal(PROTOCOL_VERSION),
  net: z.string(),
  from: NodeId,
  to: NodeId,
  ts: z.number().int(),
  nonce: z.string().regex(/^[0-9a-f]{32}$/),
  sig: Signature,
});
export type Hello = z.infer<typeof Hello>;

export const Welcome = z.object({
  type: z.literal('welcome'),
  from: NodeId,
  to: NodeId,
  nonce: z.string().regex(/^[0-9a-f]{32}$/),
  sig: Signature,
});
export type Welcome = z.infer<typeof Welcome>;

export const Relay = z.object({
  type: z.literal('relay'),
  msg: Broadcast,
  /** The node the broadcast entered at: the root of its dissemination tree. */
  entry: NodeId,
  strategy: StrategyName,
});
export type Relay = z.infer<typeof Relay>;

export const Ack = z.object({ type: z.literal('ack'), id: MessageId });
export type Ack = z.infer<typeof Ack>;

export const Receipts = z.object({
  type: z.literal('receipts'),
  id: MessageId,
  receipts: z.array(Receipt).max(1_000_000),
  unreached: z.array(Unreached).max(1_000_000),
  /** Nodes whose whole subtree is accounted for in this and earlier frames. */
  complete: z.array(NodeId).max(1_000_000),
});
export type Receipts = z.infer<typeof Receipts>;

export const Submit = z.object({
  type: z.literal('submit'),
  req: z.number().int().nonnegative(),
  msg: Broadcast,
  strategy: StrategyName.optional(),
});
export type Submit = z.infer<typeof Submit>;

export const GetProof = z.object({ type: z.literal('get-proof'), req: z.number().int().nonnegative(), id: MessageId });
export type GetProof = z.infer<typeof GetProof>;

/** Short message id (first 12 hex chars) used in anti-entropy digests. */
export const ShortId = z.string().regex(/^[0-9a-f]{12}$/);

/** One time bucket of a digest: count and XOR fingerprint of the ids whose timestamps fall in it. */
export const DigestBucket = z.object({ b: z.number().int().nonnegative(), n: z.number().int().positive(), x: z.string().regex(/^[0-9a-f]{16}$/) });
export type DigestBucket = z.infer<typeof DigestBucket>;

/** Anti-entropy: a fingerprint per settled time bucket of what the sender holds (docs/protocol.md#repair). */
export const Digest = z.object({ type: z.literal('digest'), buckets: z.array(DigestBucket).max(10_000) });
export type Digest = z.infer<typeof Digest>;

/** Anti-entropy: the ids the sender holds in buckets whose fingerprints differed. */
export const BucketIds = z.object({ type: z.literal('bucket-ids'), buckets: z.array(z.number().int().nonnegative()).max(10_000), ids: z.array(ShortId).max(100_000) });
export type BucketIds = z.infer<typeof BucketIds>;

/** Anti-entropy: ids the sender lacks and asks for. */
export const Want = z.object({ type: z.literal('want'), ids: z.array(ShortId).max(100_000) });
export type Want = z.infer<typeof Want>;

/** A missed message handed over by anti-entropy: validated like a relay, not forwarded on. */
export const Repair = z.object({ type: z.literal('repair'), msg: Broadcast, entry: NodeId, strategy: StrategyName });
export type Repair = z.infer<typeof Repair>;

/** Round-trip probe between nodes (node/impairment/ping.ts): the peer answers each `ping` with a `pong` of the same seq. */
export const Ping = z.object({ type: z.literal('ping'), seq: z.number().int().nonnegative() });
export type Ping = z.infer<typeof Ping>;
export const Pong = z.object({ type: z.literal('pong'), seq: z.number().int().nonnegative() });
export type Pong = z.infer<typeof Pong>;

// ---- membership (docs/membership.md): failure detection and quorum-certified directory changes ----

/** Why a change is proposed: who saw what, when. Evidence, not a verdict: a quorum must agree. */
export const ChangeEvidence = z.object({
  reason: z.enum(['probe-timeout', 'rejoin', 'misbehaviour', 'admission']),
  by: NodeId,
  at: z.number().int().nonnegative(),
});
export type ChangeEvidence = z.infer<typeof ChangeEvidence>;

/** What a member can accuse another of (docs/membership.md#misbehaviour). */
export const MISBEHAVIOURS = [
  'bad-signature', // relayed a broadcast whose signature does not hold (honest relays verify first)
  'withheld', // took no relay of ours after every retry, yet answered a probe right after
  'equivocation', // signed two different broadcasts with one nonce
  'forged-receipt', // reported a receipt whose signature does not hold
  'flood', // sent more frames than the per-peer budget, or a burst of rejected ones
] as const;
export const Misbehaviour = z.enum(MISBEHAVIOURS);
export type Misbehaviour = z.infer<typeof Misbehaviour>;

/** A member's signed statement that it saw `accused` misbehave. One is a word; f + 1 distinct are evidence. */
export const Accusation = z.object({
  net: z.string().min(1).max(64),
  accused: NodeId,
  by: NodeId,
  kind: Misbehaviour,
  at: z.number().int().nonnegative(),
  /** What it is about: a message id, or a short description. */
  ref: z.string().max(200),
  sig: Signature,
});
export type Accusation = z.infer<typeof Accusation>;

/** A new node's request, as a member received it: proof of key possession and the authority's credential. */
export const Admission = z.object({
  publicKey: PublicKey,
  host: z.string().min(1).max(253).regex(/^[A-Za-z0-9.:-]+$/),
  port: z.number().int().min(1).max(65535),
  ts: z.number().int().nonnegative(),
  nonce: z.string().regex(/^[0-9a-f]{32}$/),
  /** The new key's signature over the request's bytes (node/membership/credential.ts registerBytes). */
  proof: Signature,
  /** The testnet authority's signature over (network, publicKey) (node/membership/admission.ts). */
  credential: Signature,
});
export type Admission = z.infer<typeof Admission>;

/**
 * One directory change: mark a member DOWN, a DOWN or UNRELIABLE node UP again, suspend a member
 * (UNRELIABLE) on f + 1 accusations, or register a new node (its id: the largest listed + 1).
 */
export const DirectoryChange = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('down'), node: NodeId, evidence: ChangeEvidence }),
  z.object({ kind: z.literal('up'), node: NodeId, evidence: ChangeEvidence }),
  z.object({ kind: z.literal('suspend'), node: NodeId, evidence: ChangeEvidence, accusations: z.array(Accusation).min(1).max(1000) }),
  z.object({ kind: z.literal('register'), node: NodeId, evidence: ChangeEvidence, admission: Admission }),
]);
export type DirectoryChange = z.infer<typeof DirectoryChange>;
export type ChangeKind = DirectoryChange['kind'];

/** What members sign: the change, the epoch it creates, and the directory it applies to. */
export const ChangeProposal = z.object({
  net: z.string().min(1).max(64),
  /** The epoch the change creates: the current epoch + 1. */
  epoch: z.number().int().positive(),
  /** Hash of the directory the change applies to (Directory.hash). */
  prev: z.string().regex(/^[0-9a-f]{64}$/),
  change: DirectoryChange,
});
export type ChangeProposal = z.infer<typeof ChangeProposal>;

export const MemberSignature = z.object({ node: NodeId, sig: Signature });
export type MemberSignature = z.infer<typeof MemberSignature>;

/** A proposal with the signatures of at least a quorum of members in good standing. */
export const QuorumCertificate = z.object({ proposal: ChangeProposal, sigs: z.array(MemberSignature).max(100_000) });
export type QuorumCertificate = z.infer<typeof QuorumCertificate>;

/** SWIM direct probe; `epoch` is the sender's directory epoch (a lagging peer is sent certificates). */
export const Probe = z.object({ type: z.literal('probe'), seq: z.number().int().nonnegative(), epoch: z.number().int().nonnegative() });
export type Probe = z.infer<typeof Probe>;
/** Answer to a probe, or relayed answer to a probe-req: `of` is the node shown alive. */
export const ProbeAck = z.object({ type: z.literal('probe-ack'), seq: z.number().int().nonnegative(), of: NodeId, epoch: z.number().int().nonnegative() });
export type ProbeAck = z.infer<typeof ProbeAck>;
/** SWIM indirect probe: "probe `target` for me and relay its ack". */
export const ProbeReq = z.object({ type: z.literal('probe-req'), seq: z.number().int().nonnegative(), target: NodeId });
export type ProbeReq = z.infer<typeof ProbeReq>;
/** A proposer asks a member to co-sign a change. */
export const Propose = z.object({ type: z.literal('propose'), proposal: ChangeProposal });
export type Propose = z.infer<typeof Propose>;
/** A member's signature over a proposal, sent back to its proposer. */
export const Vote = z.object({ type: z.literal('vote'), proposal: ChangeProposal, sig: Signature });
export type Vote = z.infer<typeof Vote>;
/** Certified changes, in epoch order: announced by the proposer, and sent to peers whose epoch lags. */
export const Certificates = z.object({ type: z.literal('certificates'), certs: z.array(QuorumCertificate).max(1000) });
export type Certificates = z.infer<typeof Certificates>;
/** An accusation, sent by its author to every member. */
export const Accuse = z.object({ type: z.literal('accuse'), accusation: Accusation });
export type Accuse = z.infer<typeof Accuse>;
/** A change the sender wants, handed to the coordinator, the one member that proposes. */
export const Request = z.object({ type: z.literal('request'), change: DirectoryChange });
export type Request = z.infer<typeof Request>;

/** Every frame a node accepts on its socket. */
export const InboundFrame = z.discriminatedUnion('type', [
  Hello, Welcome, Relay, Ack, Receipts, Submit, GetProof, Digest, BucketIds, Want, Repair, Ping, Pong,
  Probe, ProbeAck, ProbeReq, Propose, Vote, Certificates, Accuse, Request,
]);
export type InboundFrame = z.infer<typeof InboundFrame>;

/** A delivery proof: self-contained, verifiable by anyone holding the directory. */
export const Proof = z.object({
  id: MessageId,
  msg: Broadcast,
  entry: NodeId,
  strategy: StrategyName,
  epoch: z.number().int().nonnegative(),
  directoryHash: z.string(),
  receipts: z.array(Receipt),
  unreached: z.array(Unreached),
  /** False while the originator still waits on part of the tree (deadline passed). */
  complete: z.boolean(),
});
export type Proof = z.infer<typeof Proof>;

/** Replies a node sends to a client. */
export const ClientReply = z.discriminatedUnion('type', [
  z.object({ type: z.literal('accepted'), req: z.number(), id: MessageId }),
  z.object({ type: z.literal('rejected'), req: z.number(), reason: z.string(), detail: z.string() }),
  z.object({ type: z.literal('proof'), req: z.number(), proof: Proof.nullable() }),
]);
export type ClientReply = z.infer<typeof ClientReply>;
