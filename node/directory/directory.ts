// Immutable directory snapshots: lookups, good standing, neighborhoods, and a content hash.
import { sha256 } from '../crypto/index.js';
import type { DirectoryData, DirectoryEntry, TrustedInitiator } from './schema.js';

export class Directory {
  readonly hash: string;
  /** Ids of nodes in good standing (status UP), ascending: the broadcast ring. */
  readonly members: readonly number[];
  private readonly byId: ReadonlyMap<number, DirectoryEntry & { key: Buffer }>;
  private readonly initiatorKeys: ReadonlyMap<string, Buffer>;
  private readonly memberIndex: ReadonlyMap<number, number>;

  constructor(readonly data: DirectoryData) {
    const byId = new Map<number, DirectoryEntry & { key: Buffer }>();
    for (const n of data.nodes) {
      if (byId.has(n.id)) throw new Error(`directory lists node ${n.id} twice`);
      byId.set(n.id, { ...n, key: Buffer.from(n.publicKey, 'base64') });
    }
    this.byId = byId;
    this.initiatorKeys = new Map(data.initiators.map((i: TrustedInitiator) => [i.name, Buffer.from(i.publicKey, 'base64')]));
    this.members = [...byId.values()].filter((n) => n.status === 'UP').map((n) => n.id).sort((a, b) => a - b);
    this.memberIndex = new Map(this.members.map((id, i) => [id, i]));
    this.hash = sha256(JSON.stringify(data)).toString('hex');
  }

  get network(): string { return this.data.network; }
  get epoch(): number { return this.data.epoch; }
  get neighborhoodSize(): number { return this.data.neighborhoodSize; }
  get size(): number { return this.byId.size; }

  entry(id: number): DirectoryEntry | undefined { return this.byId.get(id); }
  nodeKey(id: number): Buffer | undefined { return this.byId.get(id)?.key; }
  initiatorKey(name: string): Buffer | undefined { return this.initiatorKeys.get(name); }
  isMember(id: number): boolean { return this.memberIndex.has(id); }
  /** Position of a member on the ring, or -1. */
  position(id: number): number { return this.memberIndex.get(id) ?? -1; }

  /** Key of a broadcast's origin if it may initiate: a member node or a trusted initiator. */
  originKey(from: number | string): { key: Buffer } | { reason: 'unknown-sender' | 'not-in-good-standing' } {
    if (typeof from === 'string') {
      const key = this.initiatorKeys.get(from);
      return key ? { key } : { reason: 'unknown-sender' };
    }
    const n = this.byId.get(from);
    if (!n) return { reason: 'unknown-sender' };
    return n.status === 'UP' ? { key: n.key } : { reason: 'not-in-good-standing' };
  }
}
