// SWIM-style failure detector as a pure state machine (docs/membership.md#detector): the caller
// feeds it time and acks and carries out the probes it asks for; it never touches a socket or a
// timer, so a fake clock and a seeded RNG replay it exactly (STYLE.md §2, §7).

export interface DetectorOptions {
  /** One member is probed per period (round-robin over a shuffled order, as in SWIM). */
  periodMs: number;
  /** Wait for a direct ack; then as long again for acks relayed by the k helpers. */
  probeTimeoutMs: number;
  /** Helpers asked to probe a silent target (k). */
  indirectProbes: number;
  /** A suspect not heard from within this long is proposed DOWN. */
  suspicionMs: number;
}

export type MemberState = 'alive' | 'suspect' | 'dead';

export type DetectorAction =
  | { kind: 'probe'; to: number; seq: number }
  | { kind: 'probe-req'; via: number; target: number; seq: number };

/** `suspect`: direct and indirect probes failed. `propose-down`: suspicion expired. `alive`: refuted. */
export type DetectorEvent = { kind: 'suspect' | 'propose-down' | 'alive'; node: number; at: number };

export interface DetectorOutput {
  actions: DetectorAction[];
  events: DetectorEvent[];
}

interface Probe { seq: number; start: number; indirect: boolean }
interface Member { state: MemberState; since: number }

export class FailureDetector {
  private readonly members = new Map<number, Member>();
  private readonly probes = new Map<number, Probe>();
  private order: number[] = [];
  private next = 0;
  private nextPeriodAt = -Infinity;
  private seq = 0;

  constructor(readonly self: number, private readonly opts: DetectorOptions, private readonly rng: () => number) {}

  /** Members to watch (self is ignored). Known members keep their state; new ones start alive. */
  setMembers(ids: Iterable<number>, now: number): void {
    const keep = new Set([...ids].filter((id) => id !== this.self));
    for (const id of this.members.keys()) if (!keep.has(id)) { this.members.delete(id); this.probes.delete(id); }
    for (const id of keep) if (!this.members.has(id)) this.members.set(id, { state: 'alive', since: now });
    this.order = this.order.filter((id) => keep.has(id));
    this.next = Math.min(this.next, this.order.length);
  }

  state(node: number): MemberState | undefined {
    return this.members.get(node)?.state;
  }

  /** Members confirmed dead (suspicion expired), ascending. */
  dead(): number[] {
    return [...this.members].filter(([, m]) => m.state === 'dead').map(([id]) => id).sort((a, b) => a - b);
  }

  /** Advances time: times out probes, expires suspicions, starts this period's probe. */
  tick(now: number): DetectorOutput {
    const out: DetectorOutput = { actions: [], events: [] };
    for (const [target, p] of this.probes) {
      if (!p.indirect && now >= p.start + this.opts.probeTimeoutMs) {
        p.indirect = true;
        for (const via of this.helpers(target)) out.actions.push({ kind: 'probe-req', via, target, seq: p.seq });
      } else if (p.indirect && now >= p.start + 2 * this.opts.probeTimeoutMs) {
        this.probes.delete(target);
        const m = this.members.get(target);
        if (m?.state === 'alive') {
          Object.assign(m, { state: 'suspect', since: now });
          out.events.push({ kind: 'suspect', node: target, at: now });
        }
      }
    }
    for (const [id, m] of this.members) {
      if (m.state === 'suspect' && now >= m.since + this.opts.suspicionMs) {
        Object.assign(m, { state: 'dead', since: now });
        out.events.push({ kind: 'propose-down', node: id, at: now });
      }
    }
    if (now >= this.nextPeriodAt) {
      this.nextPeriodAt = now + this.opts.periodMs;
      const target = this.nextTarget();
      if (target !== undefined) this.start(target, now, out);
      // Suspects and the dead are probed every period: one ack refutes them.
      for (const [id, m] of this.members) if (m.state !== 'alive') this.start(id, now, out);
    }
    return out;
  }

  /** Probes `node` now, outside the round-robin (a proposal asked us to check it). */
  check(node: number, now: number): DetectorOutput {
    const out: DetectorOutput = { actions: [], events: [] };
    if (this.members.has(node)) this.start(node, now, out);
    return out;
  }

  /** Any sign of life of `node` (a direct ack or one relayed by a helper) refutes suspicion. */
  onAck(node: number, now: number): DetectorOutput {
    const out: DetectorOutput = { actions: [], events: [] };
    this.probes.delete(node);
    const m = this.members.get(node);
    if (m && m.state !== 'alive') {
      Object.assign(m, { state: 'alive', since: now });
      out.events.push({ kind: 'alive', node, at: now });
    }
    return out;
  }

  private start(target: number, now: number, out: DetectorOutput): void {
    if (this.probes.has(target)) return;
    const seq = ++this.seq;
    this.probes.set(target, { seq, start: now, indirect: false });
    out.actions.push({ kind: 'probe', to: target, seq });
  }

  /** Round-robin over a fresh shuffle each lap: every member is probed within two laps. */
  private nextTarget(): number | undefined {
    if (this.next >= this.order.length) {
      this.order = this.shuffle([...this.members.keys()]);
      this.next = 0;
    }
    return this.order[this.next++];
  }

  /** Up to k helpers among members believed alive, the target excluded. */
  private helpers(target: number): number[] {
    const alive = [...this.members].filter(([id, m]) => id !== target && m.state === 'alive').map(([id]) => id);
    return this.shuffle(alive).slice(0, this.opts.indirectProbes);
  }

  private shuffle(a: number[]): number[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.rng() * (i + 1));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }
}
