// The broadcast engine: validate, deliver, forward per plan, route around silent children,
// gather receipts up the tree, and assemble delivery proofs at the entry node.
// Hot path: dedupe by id before any verify; no await between receive and forward. docs/protocol.md
import type { ProtocolParams } from '../config.js';
import type { KeyPair } from '../crypto/index.js';
import type { Directory } from '../directory/directory.js';
import type { EventSink } from '../events/sink.js';
import type { Metrics } from '../metrics.js';
import { encodeFrame } from '../wire/codec.js';
import { messageId, signReceipt, verifyReceipt } from '../wire/messages.js';
import type { Broadcast, BucketIds, Digest, Misbehaviour, Proof, Receipt, Receipts, Relay, Repair, StrategyName, Want } from '../wire/schemas.js';
import { AntiEntropy } from './anti-entropy.js';
import { RecentStore, shortId } from './recent.js';
import { accept, reject, type Verdict } from '../wire/verdict.js';
import { allAccounted, clearTimers, newMessageState, type MessageState } from './message-state.js';
import { planFor } from './plan.js';
import { SeenSet } from './seen.js';
import { validateBroadcast } from './validate.js';

export interface EngineDeps {
  self: number;
  key: KeyPair;
  directory: () => Directory;
  params: ProtocolParams;
  send(peer: number, data: string, onFail?: (reason: string) => void): void;
  events: EventSink;
  metrics: Metrics;
  now: () => number;
  /** Misbehaviour seen first-hand (docs/membership.md#misbehaviour): a forged receipt, an origin equivocating or flooding. */
  onMisbehaviour?: (node: number, kind: Misbehaviour, ref: string) => void;
  /** A child took none of our sends of a relay (no ack after every retry). */
  onWithheld?: (peer: number, id: string) => void;
}

type ProofListener = (proof: Proof) => void;

export class BroadcastEngine {
  private readonly seen: SeenSet<true>;
  private readonly nonces: SeenSet<string>;
  private readonly messages = new Map<string, MessageState>();
  /** Proofs of messages that entered here, kept after their state is dropped (bounded). */
  private readonly proofs = new Map<string, Proof>();
  private readonly listeners = new Map<string, ProofListener[]>();
  /** Short ids of delivered messages, for anti-entropy digests (survives the full-id window too). */
  private readonly seenShort: SeenSet<true>;
  private readonly recent: RecentStore;
  private readonly antiEntropy: AntiEntropy;
  /** Token buckets of node origins (trusted initiators are not limited). */
  private readonly buckets = new Map<number, { tokens: number; at: number }>();

  constructor(private readonly d: EngineDeps) {
    this.seen = new SeenSet(d.params.maxSeen, d.params.replayWindowMs);
    this.nonces = new SeenSet(d.params.maxSeen, d.params.replayWindowMs);
    this.seenShort = new SeenSet(d.params.maxSeen, d.params.replayWindowMs);
    this.recent = new RecentStore(d.params.maxRepairStore, d.params.repairWindowMs, d.params.repairBucketMs);
    this.antiEntropy = new AntiEntropy({
      self: d.self, directory: d.directory, recent: this.recent, send: (p, data) => d.send(p, data), now: d.now,
      has: (s) => this.seenShort.get(s, d.now()) === true, params: d.params, seed: d.self * 7919,
    });
  }

  start(): void {
    this.antiEntropy.start();
  }

  /** Ids delivered before a restart (from the node's own event log): never delivered twice. */
  markDelivered(ids: Iterable<{ id: string; t: number }>): void {
    for (const { id, t } of ids) {
      this.seen.add(id, true, t);
      this.seenShort.add(shortId(id), true, t);
    }
  }

  onDigest(peer: number, digest: Digest): void {
    this.antiEntropy.onDigest(peer, digest);
  }

  onBucketIds(peer: number, frame: BucketIds): void {
    this.antiEntropy.onBucketIds(peer, frame);
  }

  onWant(peer: number, want: Want): void {
    this.antiEntropy.onWant(peer, want);
  }

  /** A missed message from anti-entropy: validated like a relay, delivered, not forwarded on. */
  onRepair(peer: number, frame: Repair): Verdict<string> {
    const id = messageId(frame.msg);
    const now = this.d.now();
    if (this.seen.get(id, now) === true) return accept(id);
    const verdict = this.validate(frame.msg, id, now);
    if (!verdict.ok) return verdict;
    const state = newMessageState(id, frame.msg, frame.entry, frame.strategy, encodeFrame({ type: 'relay', msg: frame.msg, entry: frame.entry, strategy: frame.strategy } satisfies Relay));
    state.upstream.add(frame.entry); // our receipt goes straight to the entry
    state.streaming = true;
    this.deliver(state, peer, 'repair');
    return accept(id);
  }

  /** A client's broadcast, entering the network here. */
  submit(msg: Broadcast, strategy: StrategyName | undefined, onProof: ProofListener): Verdict<string> {
    const id = messageId(msg);
    const now = this.d.now();
    if (this.seen.get(id, now)) return reject('replay', `message ${id.slice(0, 12)} was already broadcast`);
    const dir = this.d.directory();
    if (!dir.isMember(this.d.self)) return reject('not-in-good-standing', `node ${this.d.self} cannot be an entry`);
    const verdict = this.validate(msg, id, now);
    if (!verdict.ok) return verdict;
    const chosen = strategy ?? this.d.params.strategy;
    const relay: Relay = { type: 'relay', msg, entry: this.d.self, strategy: chosen };
    const state = newMessageState(id, msg, this.d.self, chosen, encodeFrame(relay));
    this.listeners.set(id, [onProof]);
    this.d.metrics.inc('spinoza_broadcasts_published_total');
    this.d.events.emit({ ev: 'published', id, from: msg.from, strategy: chosen, ts: msg.ts, bytes: state.frame.length });
    this.deliver(state, undefined, 'submit');
    state.timers.push(setTimeout(() => this.finishProof(state, false), this.d.params.proofTimeoutMs));
    return accept(id);
  }

  /** A relay from an authenticated peer. Returns a verdict so the caller can count rejections. */
  onRelay(peer: number, relay: Relay, bytes: number): Verdict<string> {
    const id = messageId(relay.msg);
    const now = this.d.now();
    this.d.metrics.inc('spinoza_relays_received_total');
    const dup = this.seen.get(id, now) === true;
    this.d.events.emit({ ev: 'received', id, peer, dup, bytes });
    if (dup) {
      this.d.metrics.inc('spinoza_duplicates_total');
      this.ack(peer, id);
      const state = this.messages.get(id);
      const recent = this.recent.get(shortId(id));
      // Repaired before the tree reached us: do our forwarding duty now, or our subtree waits on repair.
      if (state && recent && !recent.forwarded) {
        recent.forwarded = true;
        this.forward(state, peer);
      }
      if (state && !state.upstream.has(peer)) {
        state.upstream.add(peer);
        if (state.reported) this.sendReport(state, [peer]);
      }
      return accept(id);
    }
    const verdict = this.validate(relay.msg, id, now);
    const refused = !verdict.ok ? verdict : !this.d.directory().isMember(relay.entry) ? reject<string>('not-in-good-standing', `entry ${relay.entry}`) : undefined;
    if (refused && !refused.ok) {
      // Refused for what the message is (its origin equivocates or floods, its entry is suspended...),
      // not for what the relay did to it: ack, so the sender does not retry and take us for a withholder.
      if (refused.reason !== 'bad-signature') this.ack(peer, id);
      return refused;
    }
    const state = newMessageState(id, relay.msg, relay.entry, relay.strategy, encodeFrame(relay));
    state.upstream.add(peer);
    this.deliver(state, peer, 'relay');
    // A leaf's report went out already and acks too: one frame back instead of two.
    if (!state.reported) this.ack(peer, id);
    return accept(id);
  }

  onAck(peer: number, id: string): void {
    const state = this.messages.get(id);
    const child = state?.children.get(peer);
    if (!state || !child || child.acked) return;
    child.acked = true;
    if (child.timer) clearTimeout(child.timer);
    this.maybeSendAfter(state);
  }

  onReceipts(peer: number, frame: Receipts): Verdict<string> {
    const state = this.messages.get(frame.id);
    if (!state) return accept(frame.id); // state already dropped: a straggler past every deadline
    const fresh = { receipts: frame.receipts.filter((r) => !state.receipts.has(r.node)), unreached: frame.unreached.filter((u) => !state.unreached.has(u.node)) };
    let verdict: Verdict<string> = accept(frame.id);
    if (this.d.params.verifyReceipts && state.entry !== this.d.self && state.strategy === 'tree') {
      // Every honest hop verifies what it passes up, so a forged receipt is its sender's own doing.
      // The entry passes nothing up, and would pay N verifies: the proof's verifier checks it there.
      // Tree only: the ring's receipts climb back through every earlier neighborhood (O(N/15) verifies
      // each) and gossip streams them up every path (each node would verify nearly all N).
      // A receipt of a node not in our directory (registered after our epoch) is dropped, not blamed.
      const dir = this.d.directory();
      const good: Receipt[] = [];
      const bad: number[] = [];
      for (const r of fresh.receipts) {
        const key = dir.nodeKey(r.node);
        if (key === undefined) continue;
        if (verifyReceipt(key, dir.network, frame.id, r)) good.push(r);
        else bad.push(r.node);
      }
      fresh.receipts = good;
      if (bad.length > 0) {
        this.d.onMisbehaviour?.(peer, 'forged-receipt', frame.id);
        verdict = reject('bad-receipt', `receipts of ${bad.join(', ')} for ${frame.id.slice(0, 12)}`);
      }
    }
    for (const r of fresh.receipts) state.receipts.set(r.node, r);
    for (const u of fresh.unreached) state.unreached.set(u.node, u);
    this.onAck(peer, frame.id);
    for (const n of frame.complete) {
      const child = state.children.get(n);
      if (child) child.accounted = true;
    }
    // Past our own report (or its deadline), late arrivals still flow upstream.
    if (state.streaming || state.reported) this.stream(state, fresh);
    this.progress(state);
    return verdict;
  }

  proof(id: string): Proof | undefined {
    const live = this.messages.get(id);
    return live && live.entry === this.d.self ? this.toProof(live, allAccounted(live, this.d.directory().members)) : this.proofs.get(id);
  }

  stop(): void {
    this.antiEntropy.stop();
    for (const s of this.messages.values()) clearTimers(s);
    this.messages.clear();
  }

  private validate(msg: Broadcast, id: string, now: number): Verdict<Broadcast> {
    const p = this.d.params;
    const v = validateBroadcast(msg, id, { dir: this.d.directory(), now, replayWindowMs: p.replayWindowMs, maxClockSkewMs: p.maxClockSkewMs, nonces: this.nonces });
    if (!v.ok) {
      if (v.reason === 'equivocation' && typeof msg.from === 'number') this.d.onMisbehaviour?.(msg.from, 'equivocation', msg.nonce);
      return v;
    }
    if (typeof msg.from === 'number' && !this.originBudget(msg.from, now)) {
      this.d.onMisbehaviour?.(msg.from, 'flood', `over ${p.originRatePerSec}/s`);
      return reject('rate-limited', `node ${msg.from} originates over ${p.originRatePerSec} broadcasts/s`);
    }
    return v;
  }

  /** Takes a token from a node origin's bucket (after its signature held, so nobody can drain another's). */
  private originBudget(origin: number, now: number): boolean {
    const { originRatePerSec: rate, originBurst: burst } = this.d.params;
    const b = this.buckets.get(origin) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    this.buckets.set(origin, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private deliver(state: MessageState, heardFrom: number | undefined, via: 'submit' | 'relay' | 'repair'): void {
    const { id, msg } = state;
    const now = this.d.now();
    this.seen.add(id, true, now);
    this.seenShort.add(shortId(id), true, now);
    this.nonces.add(`${msg.from}:${msg.nonce}`, id, now);
    this.messages.set(id, state);
    this.recent.add({ id, msg, entry: state.entry, strategy: state.strategy, at: now, forwarded: via !== 'repair' });
    const dir = this.d.directory();
    if (via !== 'repair') this.forward(state, heardFrom); // forward first: nothing awaits before this
    this.d.metrics.inc('spinoza_delivered_total', { via });
    this.d.events.emit({ ev: 'delivered', id, ts: msg.ts, via });
    state.receipts.set(this.d.self, signReceipt(this.d.key, dir.network, id, this.d.self, now));
    const p = this.d.params;
    state.timers.push(setTimeout(() => this.startStreaming(state), Math.floor(p.proofTimeoutMs / 2)));
    state.timers.push(setTimeout(() => this.drop(state), 2 * p.proofTimeoutMs + (p.maxRetries + 1) * p.ackTimeoutMs));
    if (state.streaming) this.stream(state, { receipts: [state.receipts.get(this.d.self)!], unreached: [] });
    this.maybeSendAfter(state);
    this.progress(state);
  }

  private forward(state: MessageState, heardFrom: number | undefined): void {
    const plan = planFor(state.strategy, this.planInput(state), this.d.self, this.d.params, heardFrom);
    for (const c of plan.now) this.sendRelay(state, c);
    state.after = plan.after;
    this.maybeSendAfter(state);
  }

  private planInput(state: MessageState) {
    const dir = this.d.directory();
    return { members: dir.members, neighborhoodSize: dir.neighborhoodSize, entry: state.entry, id: state.id, position: (n: number) => dir.position(n) };
  }

  private sendRelay(state: MessageState, peer: number): void {
    let child = state.children.get(peer);
    if (!child) {
      child = { sends: 0, acked: false, accounted: false, adopted: false, timer: undefined };
      state.children.set(peer, child);
    }
    const c = child;
    c.sends++;
    this.d.metrics.inc('spinoza_forwarded_total');
    this.d.metrics.inc('spinoza_forwarded_bytes_total', {}, state.frame.length);
    this.d.events.emit({ ev: 'forwarded', id: state.id, to: peer, bytes: state.frame.length });
    this.d.send(peer, state.frame, () => this.giveUp(state, peer, 'unreachable'));
    if (!c.accounted) {
      if (c.timer) clearTimeout(c.timer);
      c.timer = setTimeout(() => this.onAckTimeout(state, peer), this.d.params.ackTimeoutMs);
    }
  }

  private onAckTimeout(state: MessageState, peer: number): void {
    const child = state.children.get(peer);
    if (!child || child.acked || child.accounted) return;
    this.adopt(state, peer);
    if (child.sends <= this.d.params.maxRetries) this.sendRelay(state, peer);
    else this.giveUp(state, peer, 'no-ack');
  }

  /** Routes around a silent child: its duties in the plan become ours. */
  private adopt(state: MessageState, peer: number): void {
    const child = state.children.get(peer);
    if (!child || child.adopted) return;
    child.adopted = true;
    const plan = planFor(state.strategy, this.planInput(state), peer, this.d.params);
    // Gossip adopts only the ring successor that keeps the overlay connected, not random picks.
    const duties = state.strategy === 'gossip' ? plan.now.slice(0, 1) : [...plan.now, ...plan.after];
    const adopted = duties.filter((g) => g !== this.d.self && !state.children.has(g));
    this.d.metrics.inc('spinoza_routed_around_total');
    this.d.events.emit({ ev: 'routed-around', id: state.id, child: peer, adopted });
    for (const g of adopted) this.sendRelay(state, g);
  }

  private giveUp(state: MessageState, peer: number, reason: 'no-ack' | 'unreachable'): void {
    const child = state.children.get(peer);
    if (!child || child.acked || child.accounted) return;
    if (child.timer) clearTimeout(child.timer);
    child.accounted = true;
    this.adopt(state, peer);
    if (state.receipts.has(peer) || state.unreached.has(peer)) return;
    const u = { node: peer, by: this.d.self, reason };
    state.unreached.set(peer, u);
    if (reason === 'no-ack') this.d.onWithheld?.(peer, state.id);
    if (state.streaming) this.stream(state, { receipts: [], unreached: [u] });
    this.maybeSendAfter(state);
    this.progress(state);
  }

  private maybeSendAfter(state: MessageState): void {
    if (state.afterSent || state.after.length === 0) return;
    for (const c of state.children.values()) if (!c.acked && !c.accounted) return;
    state.afterSent = true;
    for (const c of state.after) this.sendRelay(state, c);
  }

  /** Reports upstream once the subtree is accounted for; finishes the proof at the entry. */
  private progress(state: MessageState): void {
    if (state.entry === this.d.self) {
      if (allAccounted(state, this.d.directory().members)) this.finishProof(state, true);
      return;
    }
    if (state.reported || state.strategy === 'gossip') return;
    if (!state.afterSent && state.after.length > 0) return;
    for (const c of state.children.values()) if (!c.accounted) return;
    state.reported = true;
    this.sendReport(state, [...state.upstream]);
  }

  private sendReport(state: MessageState, to: number[]): void {
    const frame: Receipts = { type: 'receipts', id: state.id, receipts: [...state.receipts.values()], unreached: [...state.unreached.values()], complete: [this.d.self] };
    const data = encodeFrame(frame);
    for (const p of to) this.d.send(p, data);
  }

  /** Past the report deadline a subtree streams what it has instead of waiting for stragglers. */
  private startStreaming(state: MessageState): void {
    if (state.reported || state.streaming || state.entry === this.d.self) return;
    state.streaming = true;
    this.stream(state, { receipts: [...state.receipts.values()], unreached: [...state.unreached.values()] });
  }

  /** Queues receipts for upstream, coalescing everything that arrives in one event-loop turn. */
  private stream(state: MessageState, add: NonNullable<MessageState['outbox']>): void {
    if (state.entry === this.d.self || (add.receipts.length === 0 && add.unreached.length === 0)) return;
    if (state.outbox) {
      state.outbox.receipts.push(...add.receipts);
      state.outbox.unreached.push(...add.unreached);
      return;
    }
    state.outbox = { receipts: [...add.receipts], unreached: [...add.unreached] };
    setImmediate(() => {
      const out = state.outbox;
      state.outbox = undefined;
      if (!out) return;
      const data = encodeFrame({ type: 'receipts', id: state.id, receipts: out.receipts, unreached: out.unreached, complete: [] } satisfies Receipts);
      for (const p of state.upstream) this.d.send(p, data);
    });
  }

  private ack(peer: number, id: string): void {
    this.d.send(peer, encodeFrame({ type: 'ack', id }));
  }

  private toProof(state: MessageState, complete: boolean): Proof {
    const dir = this.d.directory();
    return {
      id: state.id, msg: state.msg, entry: state.entry, strategy: state.strategy, epoch: dir.epoch, directoryHash: dir.hash,
      receipts: [...state.receipts.values()].sort((a, b) => a.node - b.node),
      unreached: [...state.unreached.values()].filter((u) => !state.receipts.has(u.node)).sort((a, b) => a.node - b.node),
      complete,
    };
  }

  private finishProof(state: MessageState, complete: boolean): void {
    const waiting = this.listeners.get(state.id);
    if (!waiting) return;
    this.listeners.delete(state.id);
    const proof = this.toProof(state, complete);
    this.remember(proof);
    this.d.metrics.inc('spinoza_proofs_total', { complete: String(complete) });
    this.d.events.emit({ ev: 'proof', id: state.id, receipts: proof.receipts.length, unreached: proof.unreached.map((u) => u.node), complete });
    for (const l of waiting) l(proof);
  }

  private remember(proof: Proof): void {
    this.proofs.delete(proof.id);
    this.proofs.set(proof.id, proof);
    for (const k of this.proofs.keys()) {
      if (this.proofs.size <= this.d.params.maxProofs) break;
      this.proofs.delete(k);
    }
  }

  private drop(state: MessageState): void {
    clearTimers(state);
    if (state.entry === this.d.self) this.remember(this.toProof(state, allAccounted(state, this.d.directory().members)));
    this.messages.delete(state.id);
  }
}
