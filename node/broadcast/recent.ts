// Recently delivered messages, kept to repair peers that missed them (anti-entropy). Bounded.
import type { Broadcast, StrategyName } from '../wire/schemas.js';

export interface RecentMessage {
  id: string;
  msg: Broadcast;
  entry: number;
  strategy: StrategyName;
  /** When this node delivered it. */
  at: number;
  /** Whether this node has done its forwarding duty (false after a repair delivery). */
  forwarded: boolean;
}

export const shortId = (id: string): string => id.slice(0, 12);

export class RecentStore {
  private readonly byShort = new Map<string, RecentMessage>();

  constructor(private readonly max: number, private readonly windowMs: number) {}

  add(m: RecentMessage): void {
    this.byShort.set(shortId(m.id), m);
    for (const [k, v] of this.byShort) {
      if (this.byShort.size <= this.max && v.at > m.at - this.windowMs) break;
      this.byShort.delete(k);
    }
  }

  get(short: string): RecentMessage | undefined {
    return this.byShort.get(short);
  }

  /** Short ids delivered in [now - window, now - grace]: settled messages a peer should also hold. */
  settled(now: number, graceMs: number): string[] {
    const out: string[] = [];
    for (const [k, v] of this.byShort) if (v.at <= now - graceMs && v.at > now - this.windowMs) out.push(k);
    return out;
  }
}
