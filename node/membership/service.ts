// The membership shell (docs/membership.md#wiring): runs the failure detector on a timer, answers
// and relays probes, proposes DOWN/UP changes, co-signs others' proposals only on its own evidence,
// gathers a quorum and hands certified changes to every listed node. Decisions live in
// detector.ts and quorum.ts; this file moves frames.
import type { ProtocolParams } from '../config.js';
import type { KeyPair } from '../crypto/index.js';
import type { Directory } from '../directory/directory.js';
import type { DirectoryData } from '../directory/schema.js';
import type { EventSink } from '../events/sink.js';
import { seededRandom } from '../impairment/random.js';
import { encodeFrame } from '../wire/codec.js';
import type { Certificates, ChangeProposal, DirectoryChange, MemberSignature, Probe, ProbeAck, ProbeReq, Propose, QuorumCertificate, Vote } from '../wire/schemas.js';
import { FailureDetector, type DetectorOutput } from './detector.js';
import { applyChange, checkProposal, proposalKey, quorumSize, signProposal, verifyCertificate, verifyVote } from './quorum.js';

export interface MembershipDeps {
  self: number;
  key: KeyPair;
  directory: () => Directory;
  /** Adopts the next snapshot (the node's setDirectory). */
  adopt: (data: DirectoryData) => boolean;
  send: (peer: number, data: string) => void;
  events: EventSink;
  params: ProtocolParams;
  now: () => number;
}

interface Pending { proposal: ChangeProposal; key: string; sigs: Map<number, MemberSignature>; until: number }

export class MembershipService {
  private readonly detector: FailureDetector;
  private readonly rng: () => number;
  private timer: NodeJS.Timeout | undefined;
  private epochSeen = -1;
  /** Certificates this node applied, in epoch order: sent to peers whose epoch lags. */
  private readonly certs: QuorumCertificate[] = [];
  /** Our own outstanding proposal, and when we may propose again after one failed. */
  private mine: Pending | undefined;
  private quietUntil = 0;
  /** One signature per epoch: the proposal we signed, until when (liveness after a split vote). */
  private readonly locks = new Map<number, { key: string; until: number }>();
  /** Proposals from others waiting for our own evidence: subject → (proposal, proposer). */
  private readonly waiting = new Map<number, { proposal: ChangeProposal; from: number; until: number }[]>();
  /** Indirect probes we run for others: target → requesters. */
  private readonly relays = new Map<number, { requester: number; seq: number; until: number }[]>();
  private readonly synced = new Map<number, { epoch: number; at: number }>();
  private seq = 0;

  constructor(private readonly d: MembershipDeps) {
    const p = d.params;
    this.rng = seededRandom(`membership/${d.self}`);
    this.detector = new FailureDetector(d.self, {
      periodMs: p.probePeriodMs, probeTimeoutMs: p.probeTimeoutMs, indirectProbes: p.indirectProbes, suspicionMs: p.suspicionMs,
    }, this.rng);
  }

  start(): void {
    const every = Math.max(10, Math.floor(Math.min(this.d.params.probePeriodMs, this.d.params.probeTimeoutMs) / 4));
    this.timer = setInterval(() => this.tick(), every);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private get dir(): Directory { return this.d.directory(); }
  private get isMember(): boolean { return this.dir.isMember(this.d.self); }

  private tick(): void {
    const now = this.d.now();
    const dir = this.dir;
    if (dir.epoch !== this.epochSeen) {
      this.epochSeen = dir.epoch;
      this.detector.setMembers(dir.members, now);
      if (this.mine && this.mine.proposal.epoch !== dir.epoch + 1) this.mine = undefined;
    }
    this.run(this.detector.tick(now));
    for (const [t, list] of this.relays) if (list.every((r) => r.until < now)) this.relays.delete(t);
    for (const [t, list] of this.waiting) if (list.every((w) => w.until < now)) this.waiting.delete(t);
    if (this.mine && this.mine.until < now) {
      this.mine = undefined;
      this.quietUntil = now + this.rng() * this.d.params.proposalTimeoutMs; // random backoff breaks split votes
    }
    if (!this.mine && now >= this.quietUntil) this.maybePropose(now);
  }

  /** Our rejoin if we are DOWN; else the DOWN of the lowest node our detector found dead. */
  private maybePropose(now: number): void {
    const dir = this.dir;
    const self = this.d.self;
    if (dir.entry(self)?.status === 'DOWN') return this.propose({ kind: 'up', node: self, evidence: { reason: 'rejoin', by: self, at: now } });
    if (!this.isMember) return;
    const dead = this.detector.dead().find((id) => dir.isMember(id));
    if (dead !== undefined) this.propose({ kind: 'down', node: dead, evidence: { reason: 'probe-timeout', by: self, at: now } });
  }

  private propose(change: DirectoryChange): void {
    const dir = this.dir;
    const proposal: ChangeProposal = { net: dir.network, epoch: dir.epoch + 1, prev: dir.hash, change };
    const key = proposalKey(proposal);
    this.mine = { proposal, key, sigs: new Map(), until: this.d.now() + this.d.params.proposalTimeoutMs };
    this.d.events.emit({ ev: 'membership', what: 'propose', of: change.node, epoch: proposal.epoch, kind: change.kind });
    if (this.isMember && this.lock(proposal, key)) this.addVote(signProposal(this.d.key, this.d.self, proposal));
    const frame = encodeFrame({ type: 'propose', proposal } satisfies Propose);
    for (const id of dir.members) if (id !== this.d.self && id !== change.node) this.d.send(id, frame);
  }

  private run(out: DetectorOutput): void {
    for (const a of out.actions) {
      if (a.kind === 'probe') this.d.send(a.to, encodeFrame({ type: 'probe', seq: a.seq, epoch: this.dir.epoch } satisfies Probe));
      else this.d.send(a.via, encodeFrame({ type: 'probe-req', seq: a.seq, target: a.target } satisfies ProbeReq));
    }
    for (const e of out.events) {
      if (e.kind !== 'propose-down') this.d.events.emit({ ev: 'membership', what: e.kind, of: e.node });
      if (e.kind !== 'alive') this.voteWaiting(e.node, 'down');
    }
  }

  onProbe(peer: number, f: Probe): void {
    const dir = this.dir;
    this.d.send(peer, encodeFrame({ type: 'probe-ack', seq: f.seq, of: this.d.self, epoch: dir.epoch } satisfies ProbeAck));
    if (f.epoch < dir.epoch) this.sync(peer, f.epoch);
  }

  onProbeReq(peer: number, f: ProbeReq): void {
    const list = this.relays.get(f.target) ?? [];
    list.push({ requester: peer, seq: f.seq, until: this.d.now() + 2 * this.d.params.probeTimeoutMs });
    this.relays.set(f.target, list);
    this.d.send(f.target, encodeFrame({ type: 'probe', seq: ++this.seq, epoch: this.dir.epoch } satisfies Probe));
  }

  onProbeAck(peer: number, f: ProbeAck): void {
    const now = this.d.now();
    this.run(this.detector.onAck(f.of, now));
    if (f.of !== peer) return; // relayed by a helper: evidence for our detector only
    for (const r of this.relays.get(peer) ?? []) this.d.send(r.requester, encodeFrame({ type: 'probe-ack', seq: r.seq, of: peer, epoch: f.epoch } satisfies ProbeAck));
    this.relays.delete(peer);
    this.voteWaiting(peer, 'up'); // it answered us: we can vouch it is alive
  }

  /** Co-sign only on our own evidence: a DOWN once our detector suspects too, an UP once it answers us. */
  onPropose(peer: number, f: Propose): void {
    const dir = this.dir;
    const p = f.proposal;
    if (p.epoch <= dir.epoch) return this.sync(peer, p.epoch - 1);
    if (!this.isMember || !checkProposal(p, dir).ok) return;
    const list = this.waiting.get(p.change.node) ?? [];
    list.push({ proposal: p, from: peer, until: this.d.now() + this.d.params.proposalTimeoutMs });
    this.waiting.set(p.change.node, list);
    if (p.change.kind === 'up') {
      this.d.send(p.change.node, encodeFrame({ type: 'probe', seq: ++this.seq, epoch: dir.epoch } satisfies Probe));
    } else {
      const state = this.detector.state(p.change.node);
      if (state === 'suspect' || state === 'dead') this.voteWaiting(p.change.node, 'down');
      else this.run(this.detector.check(p.change.node, this.d.now()));
    }
  }

  private voteWaiting(node: number, kind: 'down' | 'up'): void {
    const list = this.waiting.get(node);
    if (!list) return;
    const dir = this.dir;
    const rest = list.filter((w) => {
      if (w.proposal.change.kind !== kind) return true;
      const key = proposalKey(w.proposal);
      if (checkProposal(w.proposal, dir).ok && this.lock(w.proposal, key)) {
        const sig = signProposal(this.d.key, this.d.self, w.proposal);
        this.d.send(w.from, encodeFrame({ type: 'vote', proposal: w.proposal, sig: sig.sig } satisfies Vote));
      }
      return false;
    });
    if (rest.length > 0) this.waiting.set(node, rest);
    else this.waiting.delete(node);
  }

  /** At most one signed proposal per epoch (re-signing the same one is fine); a lock lapses after proposalTimeoutMs. */
  private lock(p: ChangeProposal, key: string): boolean {
    const now = this.d.now();
    const held = this.locks.get(p.epoch);
    if (held && held.key !== key && held.until > now) return false;
    this.locks.set(p.epoch, { key, until: now + this.d.params.proposalTimeoutMs });
    for (const e of this.locks.keys()) if (e <= this.dir.epoch) this.locks.delete(e);
    return true;
  }

  onVote(peer: number, f: Vote): void {
    const mine = this.mine;
    if (!mine || proposalKey(f.proposal) !== mine.key) return;
    const sig = { node: peer, sig: f.sig };
    if (verifyVote(this.dir, mine.proposal, sig)) this.addVote(sig);
  }

  private addVote(sig: MemberSignature): void {
    const mine = this.mine!;
    mine.sigs.set(sig.node, sig);
    if (mine.sigs.size < quorumSize(this.dir.members.length)) return;
    const cert: QuorumCertificate = { proposal: mine.proposal, sigs: [...mine.sigs.values()] };
    this.mine = undefined;
    if (!this.accept(cert)) return;
    // Announced straight to every listed node, the subject included; a node that misses it
    // is sent the chain when it next probes us with an older epoch (sync).
    const frame = encodeFrame({ type: 'certificates', certs: [cert] } satisfies Certificates);
    for (const n of this.dir.data.nodes) if (n.id !== this.d.self) this.d.send(n.id, frame);
  }

  onCertificates(_peer: number, f: Certificates): void {
    for (const cert of f.certs) {
      if (cert.proposal.epoch <= this.dir.epoch) continue;
      if (!this.accept(cert)) return;
    }
  }

  /** Verifies and applies one certificate on top of our directory. */
  private accept(cert: QuorumCertificate): boolean {
    const dir = this.dir;
    if (!verifyCertificate(cert, dir).ok) return false;
    if (!this.d.adopt(applyChange(dir.data, cert))) return false;
    this.certs.push(cert);
    if (this.certs.length > 1000) this.certs.shift();
    const { change, epoch } = cert.proposal;
    this.d.events.emit({ ev: 'membership', what: 'certified', of: change.node, epoch, kind: change.kind, certificate: cert });
    return true;
  }

  /** Sends a lagging peer the certificates after its epoch, at most once per epoch or period. */
  private sync(peer: number, epoch: number): void {
    const now = this.d.now();
    const last = this.synced.get(peer);
    if (last && last.epoch === this.dir.epoch && now - last.at < this.d.params.probePeriodMs) return;
    const certs = this.certs.filter((c) => c.proposal.epoch > epoch);
    if (certs.length === 0) return;
    this.synced.set(peer, { epoch: this.dir.epoch, at: now });
    this.d.send(peer, encodeFrame({ type: 'certificates', certs } satisfies Certificates));
  }
}
