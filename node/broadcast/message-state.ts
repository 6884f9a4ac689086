// Per-message bookkeeping of one node: children and their acks, receipts gathered from the subtree.
import type { Broadcast, Receipt, StrategyName, Unreached } from '../wire/schemas.js';

export interface ChildState {
  sends: number;
  acked: boolean;
  /** Accounted for: reported its whole subtree, or reported unreached. */
  accounted: boolean;
  /** Its own children were adopted after it missed an ack. */
  adopted: boolean;
  timer: NodeJS.Timeout | undefined;
}

export interface MessageState {
  readonly id: string;
  readonly msg: Broadcast;
  readonly entry: number;
  readonly strategy: StrategyName;
  /** The relay frame, serialised once and written to every child. */
  readonly frame: string;
  /** Peers that sent us the relay: our receipts go to each of them. */
  readonly upstream: Set<number>;
  readonly children: Map<number, ChildState>;
  after: number[];
  afterSent: boolean;
  readonly receipts: Map<number, Receipt>;
  readonly unreached: Map<number, Unreached>;
  /** The complete report (whole subtree) went upstream. */
  reported: boolean;
  /** Past the report deadline (or gossip): new receipts stream upstream as they come. */
  streaming: boolean;
  outbox: { receipts: Receipt[]; unreached: Unreached[] } | undefined;
  timers: NodeJS.Timeout[];
}

export function newMessageState(id: string, msg: Broadcast, entry: number, strategy: StrategyName, frame: string): MessageState {
  return {
    id, msg, entry, strategy, frame,
    upstream: new Set(),
    children: new Map(),
    after: [],
    afterSent: false,
    receipts: new Map(),
    unreached: new Map(),
    reported: false,
    streaming: strategy === 'gossip',
    outbox: undefined,
    timers: [],
  };
}

/** Every member has a receipt or an unreached report. */
export function allAccounted(s: MessageState, members: readonly number[]): boolean {
  for (const m of members) if (!s.receipts.has(m) && !s.unreached.has(m)) return false;
  return true;
}

export function clearTimers(s: MessageState): void {
  for (const t of s.timers) clearTimeout(t);
  for (const c of s.children.values()) if (c.timer) clearTimeout(c.timer);
}
