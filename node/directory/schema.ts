// The node directory as it is stored and served (genesis.json, GET /directory).
import { z } from 'zod';
import { InitiatorName, NodeId, PublicKey } from '../wire/schemas.js';

export const NodeStatus = z.enum(['NEW', 'UP', 'DOWN', 'UNRELIABLE']);
export type NodeStatus = z.infer<typeof NodeStatus>;

export const DirectoryEntry = z.object({
  id: NodeId,
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  publicKey: PublicKey,
  status: NodeStatus,
});
export type DirectoryEntry = z.infer<typeof DirectoryEntry>;

export const TrustedInitiator = z.object({ name: InitiatorName, publicKey: PublicKey });
export type TrustedInitiator = z.infer<typeof TrustedInitiator>;

export const DirectoryData = z.object({
  /** Network id: salted with the run id so two testnets never cross-talk. */
  network: z.string().min(1).max(64),
  epoch: z.number().int().nonnegative(),
  neighborhoodSize: z.number().int().min(1).max(1000),
  nodes: z.array(DirectoryEntry).min(1),
  initiators: z.array(TrustedInitiator),
  /** The testnet authority's key: admission credentials for new nodes are its signatures. */
  authority: PublicKey.optional(),
});
export type DirectoryData = z.infer<typeof DirectoryData>;
