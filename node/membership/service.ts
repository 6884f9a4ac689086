// The membership shell (docs/membership.md#wiring): runs the failure detector on a timer, answers
// and relays probes, gathers accusations, admits new nodes, hands wanted changes to the coordinator,
// co-signs proposals only on its own evidence, and applies certified changes. Decisions live in
// detector.ts, quorum.ts, accusations.ts and admission.ts; this file moves frames.
import type { ProtocolParams } from '../config.js';
import type { KeyPair } from '../crypto/index.js';
import type { Directory } from '../directory/directory.js';
import type { DirectoryData } from '../directory/schema.js';
import type { EventSink } from '../events/sink.js';
import { seededRandom } from '../impairment/random.js';
import { encodeFrame } from '../wire/codec.js';
import type {
  Accusation, Accuse, Admission, Certificates, ChangeProposal, DirectoryChange, MemberSignature, Misbehaviour, Probe, ProbeAck,
  ProbeReq, Propose, QuorumCertificate, Request, Vote,
} from '../wire/schemas.js';
import { AccusationBook, accusationValid, accusersNeeded, signAccusation, suspensionProblem } from './accusations.js';
import { checkAdmission, nextNodeId } from './admission.js';
import { FailureDetector, type DetectorOutput } from './detector.js';
import { applyChange, changeKey, checkProposal, proposalKey, quorumSize, signProposal, verifyCertificate, verifyVote } from './quorum.js';
import type { RegisterRefusal } from './schema.js';

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
  /** Certificates from genesis to the directory this node starts with (a registered node's chain). */
  chain?: QuorumCertificate[];
}

/** Why a join is refused: the registration refusals, plus the two only a member can give. */
export type JoinRefusal = RegisterRefusal | 'not-in-good-standing' | 'not-certified';
export type JoinOutcome = { ok: true; id: number; certificates: QuorumCertificate[] } | { ok: false; reason: JoinRefusal; detail: string };

interface Pending { proposal: ChangeProposal; key: string; sigs: Map<number, MemberSignature>; until: number }
interface Wanted { change: DirectoryChange; sentAt: number; until: number; proposedAt: number }

const MAX_CHAIN = 100_000;

export class MembershipService {
  private readonly detector: FailureDetector;
  private readonly rng: () => number;
  private timer: NodeJS.Timeout | undefined;
  private epochSeen = -1;
  /** Certificates from genesis, in epoch order: sent to peers whose epoch lags, and to joining nodes. */
  private readonly certs: QuorumCertificate[];
  /** Changes this node wants: from its own evidence, or requests from others while it coordinates. */
  private readonly wanted = new Map<string, Wanted>();
  /** Our own outstanding proposal, and when we may propose again after one failed. */
  private mine: Pending | undefined;
  private quietUntil = 0;
  /** One signature per epoch: the proposal we signed, until when (liveness after a split vote). */
  private readonly locks = new Map<number, { key: string; until: number }>();
  /** Proposals waiting for our own evidence: subject → (proposal, proposer). */
  private readonly waiting = new Map<number, { proposal: ChangeProposal; from: number; until: number }[]>();
  /** Indirect probes we run for others: target → requesters. */
  private readonly relays = new Map<number, { requester: number; seq: number; until: number }[]>();
  private readonly synced = new Map<number, { epoch: number; at: number }>();
  private readonly book: AccusationBook;
  /** When we last accused a node of a kind: one accusation per (node, kind) per probe period. */
  private readonly accused = new Map<string, number>();
  /** Peers that withheld a relay from us: confirmed as misbehaviour if they answer a probe now. */
  private readonly withheld = new Map<number, { ref: string; until: number }>();
  /** When a node was suspended, as we saw it: its rejoin is co-signed only after suspensionMinMs. */
  private readonly suspendedAt = new Map<number, number>();
  /** Admission nonces seen (replays are refused), and joins waiting for their certificate. */
  private readonly nonces = new Map<string, number>();
  private readonly joins = new Map<string, (cert: QuorumCertificate | undefined) => void>();
  private seq = 0;

  constructor(private readonly d: MembershipDeps) {
    const p = d.params;
    this.rng = seededRandom(`membership/${d.self}`);
    this.detector = new FailureDetector(d.self, {
      periodMs: p.probePeriodMs, probeTimeoutMs: p.probeTimeoutMs, indirectProbes: p.indirectProbes, suspicionMs: p.suspicionMs,
    }, this.rng);
    this.book = new AccusationBook(p.accusationWindowMs);
    this.certs = [...(d.chain ?? [])];
  }

  start(): void {
    const every = Math.max(10, Math.floor(Math.min(this.d.params.probePeriodMs, this.d.params.probeTimeoutMs) / 4));
    this.timer = setInterval(() => this.tick(), every);
  }

  stop(): void {
    clearInterval(this.timer);
    for (const done of [...this.joins.values()]) done(undefined);
  }

  private get dir(): Directory { return this.d.directory(); }
  private get isMember(): boolean { return this.dir.isMember(this.d.self); }

  private toMembers(frame: string, except: number): void {
    for (const id of this.dir.members) if (id !== this.d.self && id !== except) this.d.send(id, frame);
  }

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
    for (const [t, w] of this.withheld) if (w.until < now) this.withheld.delete(t);
    for (const [n, at] of this.nonces) if (at < now - 2 * this.d.params.maxClockSkewMs) this.nonces.delete(n);
    this.book.prune(now);
    if (this.mine && this.mine.until < now) {
      this.mine = undefined;
      this.quietUntil = now + this.rng() * this.d.params.proposalTimeoutMs; // random backoff breaks split votes
    }
    this.gatherWants(now);
    this.pursueWants(now);
  }

  /** What our own evidence asks for: our rejoin, the DOWN of nodes found dead, suspensions with enough accusers. */
  private gatherWants(now: number): void {
    const dir = this.dir;
    const self = this.d.self;
    const status = dir.entry(self)?.status;
    // A suspended node sits out suspensionMinMs (as far as it knows) before it asks to come back.
    const sittingOut = status === 'UNRELIABLE' && now - (this.suspendedAt.get(self) ?? -Infinity) < this.d.params.suspensionMinMs;
    if ((status === 'DOWN' || status === 'UNRELIABLE') && !sittingOut) this.want({ kind: 'up', node: self, evidence: { reason: 'rejoin', by: self, at: now } }, now);
    if (!this.isMember) return;
    for (const id of this.detector.dead()) {
      if (dir.isMember(id)) this.want({ kind: 'down', node: id, evidence: { reason: 'probe-timeout', by: self, at: now } }, now);
    }
    for (const id of this.book.ripe(accusersNeeded(dir.members.length), now, dir)) {
      if (dir.isMember(id) && id !== self) {
        this.want({ kind: 'suspend', node: id, evidence: { reason: 'misbehaviour', by: self, at: now }, accusations: this.book.of(id, now, dir).slice(0, 1000) }, now);
      }
    }
  }

  /** Adds or refreshes a wanted change; the newest evidence replaces the old. */
  private want(change: DirectoryChange, now: number, holdMs = 2 * this.d.params.proposalTimeoutMs): void {
    const key = changeKey(change);
    const had = this.wanted.get(key);
    this.wanted.set(key, { change, sentAt: had?.sentAt ?? -Infinity, until: Math.max(had?.until ?? 0, now + holdMs), proposedAt: had?.proposedAt ?? -Infinity });
  }

  /**
   * One member proposes at a time (the coordinator: the lowest member we do not suspect, never the
   * subject), so proposals do not split the vote. Everyone else hands its wants to the coordinator.
   */
  private pursueWants(now: number): void {
    const dir = this.dir;
    // Ours to propose: the one proposed longest ago first, so a change that cannot get its quorum yet
    // (a rejoin before its time) never starves the others.
    let proposable: { w: Wanted; change: DirectoryChange } | undefined;
    for (const [key, w] of this.wanted) {
      const c = w.change.kind === 'register' ? { ...w.change, node: nextNodeId(dir) } : w.change;
      if (w.until < now || !checkProposal({ net: dir.network, epoch: dir.epoch + 1, prev: dir.hash, change: c }, dir).ok) {
        this.wanted.delete(key);
        continue;
      }
      const coordinator = this.coordinator(c.node);
      if (coordinator === this.d.self) {
        if (!proposable || w.proposedAt < proposable.w.proposedAt) proposable = { w, change: c };
      }
      else if (coordinator !== undefined && now - w.sentAt >= this.d.params.proposalTimeoutMs / 2) {
        w.sentAt = now;
        this.d.send(coordinator, encodeFrame({ type: 'request', change: c } satisfies Request));
      }
    }
    if (proposable && !this.mine && now >= this.quietUntil) {
      proposable.w.proposedAt = now;
      this.propose(proposable.change);
    }
  }

  private coordinator(subject: number): number | undefined {
    return this.dir.members.find((id) => id !== subject && (id === this.d.self || this.detector.state(id) !== 'suspect' && this.detector.state(id) !== 'dead'));
  }

  private propose(change: DirectoryChange): void {
    const dir = this.dir;
    const proposal: ChangeProposal = { net: dir.network, epoch: dir.epoch + 1, prev: dir.hash, change };
    this.mine = { proposal, key: proposalKey(proposal), sigs: new Map(), until: this.d.now() + this.d.params.proposalTimeoutMs };
    this.d.events.emit({ ev: 'membership', what: 'propose', of: change.node, epoch: proposal.epoch, kind: change.kind });
    this.toMembers(encodeFrame({ type: 'propose', proposal } satisfies Propose), change.node);
    this.consider(proposal, this.d.self);
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
    const w = this.withheld.get(peer);
    if (w && w.until >= now) {
      this.withheld.delete(peer);
      // Alive, same directory, yet it took none of our sends: it withheld. A lagging epoch could explain it.
      if (f.epoch === this.dir.epoch) this.accuse(peer, 'withheld', w.ref);
    }
  }

  /** The engine gave up on a child that never acked: ask it directly whether it is alive (docs/membership.md#misbehaviour). */
  onWithheld(peer: number, ref: string): void {
    if (!this.isMember || !this.dir.isMember(peer) || this.withheld.has(peer)) return;
    this.withheld.set(peer, { ref, until: this.d.now() + 2 * this.d.params.probeTimeoutMs });
    this.d.send(peer, encodeFrame({ type: 'probe', seq: ++this.seq, epoch: this.dir.epoch } satisfies Probe));
  }

  /** Our own observation of misbehaviour: signed, kept, and sent to every member. Rate-limited per (node, kind). */
  accuse(node: number, kind: Misbehaviour, ref: string): void {
    const dir = this.dir;
    const now = this.d.now();
    if (!this.isMember || !dir.isMember(node) || node === this.d.self) return;
    const key = `${node}:${kind}`;
    if (now - (this.accused.get(key) ?? -Infinity) < this.d.params.probePeriodMs) return;
    this.accused.set(key, now);
    const accusation = signAccusation(this.d.key, { net: dir.network, accused: node, by: this.d.self, kind, at: now, ref: ref.slice(0, 200) });
    this.book.add(accusation);
    this.d.events.emit({ ev: 'membership', what: 'accuse', of: node, misbehaviour: kind, ref: accusation.ref });
    this.toMembers(encodeFrame({ type: 'accuse', accusation } satisfies Accuse), -1);
  }

  onAccuse(peer: number, f: Accuse): void {
    const a: Accusation = f.accusation;
    // Only from its author: an accusation is a first-hand word, and relaying would multiply floods.
    if (a.by !== peer || !accusationValid(a, this.dir, this.d.now(), this.d.params.accusationWindowMs)) return;
    this.book.add(a);
  }

  /** Another node's want, handed to us as its coordinator; if we see another coordinator, pursueWants passes it on. */
  onRequest(_peer: number, f: Request): void {
    const now = this.d.now();
    const c = f.change;
    if (!this.isMember) return;
    if (c.kind === 'register' && !this.nonceFresh(c.admission)) return;
    this.want(c, now);
  }

  /** A new node asks to join (POST /membership/join): checks it, wants it in, answers with the certificate chain. */
  async admit(a: Admission): Promise<JoinOutcome> {
    const dir = this.dir;
    if (!this.isMember) return { ok: false, reason: 'not-in-good-standing', detail: `node ${this.d.self} cannot admit: it is not in good standing` };
    if (this.nonces.has(a.nonce)) return { ok: false, reason: 'replay', detail: `nonce ${a.nonce} was used already` };
    const v = checkAdmission(a, dir, this.d.now(), this.d.params.maxClockSkewMs);
    if (!v.ok) return v;
    this.nonces.set(a.nonce, a.ts);
    const change: DirectoryChange = { kind: 'register', node: nextNodeId(dir), evidence: { reason: 'admission', by: this.d.self, at: this.d.now() }, admission: a };
    const cert = await new Promise<QuorumCertificate | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.joins.delete(a.publicKey);
        resolve(undefined);
      }, this.d.params.joinTimeoutMs);
      this.joins.set(a.publicKey, (c) => {
        clearTimeout(timer);
        this.joins.delete(a.publicKey);
        resolve(c);
      });
      this.want(change, this.d.now(), this.d.params.joinTimeoutMs);
    });
    if (!cert) return { ok: false, reason: 'not-certified', detail: `no quorum certificate within ${this.d.params.joinTimeoutMs} ms` };
    return { ok: true, id: cert.proposal.change.node, certificates: [...this.certs] };
  }

  private nonceFresh(a: Admission): boolean {
    const seen = this.nonces.get(a.nonce);
    if (seen !== undefined && seen !== a.ts) return false;
    this.nonces.set(a.nonce, a.ts);
    return true;
  }

  /** Co-sign only on our own evidence; the proposer runs the same rules on its own proposal. */
  onPropose(peer: number, f: Propose): void {
    const p = f.proposal;
    if (p.epoch <= this.dir.epoch) return this.sync(peer, p.epoch - 1);
    this.consider(p, peer);
  }

  private consider(p: ChangeProposal, from: number): void {
    const dir = this.dir;
    const now = this.d.now();
    if (!this.isMember || !checkProposal(p, dir).ok) return;
    const c = p.change;
    switch (c.kind) {
      case 'suspend': {
        const problem = suspensionProblem(c.node, c.accusations, dir, now, this.d.params.accusationWindowMs);
        if (problem === undefined) this.vote(p, from);
        return;
      }
      case 'register': {
        const v = checkAdmission(c.admission, dir, now, this.d.params.maxClockSkewMs);
        if (v.ok && this.nonceFresh(c.admission)) this.vote(p, from);
        return;
      }
    }
    const list = this.waiting.get(c.node) ?? [];
    list.push({ proposal: p, from, until: now + this.d.params.proposalTimeoutMs });
    this.waiting.set(c.node, list);
    if (c.kind === 'up') {
      this.d.send(c.node, encodeFrame({ type: 'probe', seq: ++this.seq, epoch: dir.epoch } satisfies Probe));
    } else {
      const state = this.detector.state(c.node);
      if (state === 'suspect' || state === 'dead') this.voteWaiting(c.node, 'down');
      else this.run(this.detector.check(c.node, now));
    }
  }

  private voteWaiting(node: number, kind: 'down' | 'up'): void {
    const list = this.waiting.get(node);
    if (!list) return;
    const dir = this.dir;
    const now = this.d.now();
    // A suspended node comes back only after it has sat out suspensionMinMs.
    if (kind === 'up' && dir.entry(node)?.status === 'UNRELIABLE' && now - (this.suspendedAt.get(node) ?? -Infinity) < this.d.params.suspensionMinMs) return;
    const rest = list.filter((w) => {
      if (w.proposal.change.kind !== kind) return true;
      if (checkProposal(w.proposal, dir).ok) this.vote(w.proposal, w.from);
      return false;
    });
    if (rest.length > 0) this.waiting.set(node, rest);
    else this.waiting.delete(node);
  }

  private vote(p: ChangeProposal, to: number): void {
    const key = proposalKey(p);
    if (!this.lock(p, key)) return;
    const sig = signProposal(this.d.key, this.d.self, p);
    if (to === this.d.self) {
      if (this.mine?.key === key) this.addVote(sig);
    } else this.d.send(to, encodeFrame({ type: 'vote', proposal: p, sig: sig.sig } satisfies Vote));
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
    // Announced to every node listed before or after (the subject and a new node included); a node
    // that misses it is sent the chain when it next probes us with an older epoch (sync).
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
    if (this.certs.length > MAX_CHAIN) this.certs.shift();
    const { change, epoch } = cert.proposal;
    this.wanted.delete(changeKey(change));
    if (change.kind === 'suspend') {
      this.suspendedAt.set(change.node, this.d.now());
      this.book.forget(change.node);
    }
    if (change.kind === 'register') this.joins.get(change.admission.publicKey)?.(cert);
    this.d.events.emit({ ev: 'membership', what: 'certified', of: change.node, epoch, kind: change.kind, certificate: cert });
    return true;
  }

  /** Sends a lagging peer the certificates after its epoch, at most once per epoch or period. */
  private sync(peer: number, epoch: number): void {
    const now = this.d.now();
    const last = this.synced.get(peer);
    if (last && last.epoch === this.dir.epoch && now - last.at < this.d.params.probePeriodMs) return;
    const certs = this.certs.filter((c) => c.proposal.epoch > epoch).slice(0, 1000);
    if (certs.length === 0) return;
    this.synced.set(peer, { epoch: this.dir.epoch, at: now });
    this.d.send(peer, encodeFrame({ type: 'certificates', certs } satisfies Certificates));
  }
}
