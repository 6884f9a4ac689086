// Misbehaviour evidence (docs/membership.md#misbehaviour): signed accusations, the book each member
// keeps of them, and the threshold that turns words into evidence. One accuser is never enough:
// a suspension needs f + 1 distinct accusers, so at least one of them is honest.
import { canonicalBytes, sign, verify, type KeyPair } from '../crypto/index.js';
import type { Directory } from '../directory/directory.js';
import type { Accusation } from '../wire/schemas.js';
import { quorumSize } from './quorum.js';

/** Distinct accusers a suspension needs among n members: f + 1, where f = n − quorum is the most faulty the quorum tolerates. */
export const accusersNeeded = (n: number): number => n - quorumSize(n) + 1;

const accusationBytes = (a: Omit<Accusation, 'sig'>): Buffer =>
  canonicalBytes('accusation', [a.net, a.accused, a.by, a.kind, a.at, a.ref]);

export function signAccusation(key: KeyPair, a: Omit<Accusation, 'sig'>): Accusation {
  return { ...a, sig: sign(key, accusationBytes(a)).toString('base64') };
}

/** Made by a member in good standing about another member, within `windowMs`, and signed by its author. */
export function accusationValid(a: Accusation, dir: Directory, now: number, windowMs: number): boolean {
  if (a.net !== dir.network || a.by === a.accused || !dir.isMember(a.by) || !dir.isMember(a.accused)) return false;
  if (a.at > now + windowMs || a.at < now - windowMs) return false;
  return verify(dir.nodeKey(a.by)!, accusationBytes(a), Buffer.from(a.sig, 'base64'));
}

/**
 * Checks the evidence of a suspension: at least accusersNeeded(members) distinct valid accusers of
 * `accused`. Returns what is wrong, or undefined.
 */
export function suspensionProblem(accused: number, accusations: readonly Accusation[], dir: Directory, now: number, windowMs: number): string | undefined {
  const need = accusersNeeded(dir.members.length);
  const by = new Set<number>();
  for (const a of accusations) {
    if (a.accused !== accused) return `an accusation of node ${a.accused}, not ${accused}`;
    if (by.has(a.by)) return `node ${a.by} accuses twice`;
    if (!accusationValid(a, dir, now, windowMs)) return `accusation by node ${a.by} does not hold`;
    by.add(a.by);
  }
  return by.size >= need ? undefined : `${by.size} accusers < ${need} needed`;
}

/** Accusations a member holds: accused → accuser → the latest accusation (already verified). */
export class AccusationBook {
  private readonly book = new Map<number, Map<number, Accusation>>();

  constructor(private readonly windowMs: number) {}

  add(a: Accusation): void {
    let of = this.book.get(a.accused);
    if (!of) this.book.set(a.accused, (of = new Map()));
    const had = of.get(a.by);
    if (!had || had.at < a.at) of.set(a.by, a);
  }

  /** Fresh accusations of `accused`, one per accuser, by accusers still in good standing in `dir`. */
  of(accused: number, now: number, dir: Directory): Accusation[] {
    return [...(this.book.get(accused)?.values() ?? [])].filter((a) => a.at >= now - this.windowMs && dir.isMember(a.by));
  }

  /** Accused members with at least `need` such accusers. */
  ripe(need: number, now: number, dir: Directory): number[] {
    return [...this.book.keys()].filter((id) => this.of(id, now, dir).length >= need).sort((a, b) => a - b);
  }

  forget(accused: number): void {
    this.book.delete(accused);
  }

  prune(now: number): void {
    for (const [id, of] of this.book) {
      for (const [by, a] of of) if (a.at < now - this.windowMs) of.delete(by);
      if (of.size === 0) this.book.delete(id);
    }
  }
}

