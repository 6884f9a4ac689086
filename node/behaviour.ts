// Test-only behaviours (config `behaviour`): how an unreliable or byzantine node mistreats the
// protocol. Decisions are seeded, so a run replays exactly. Honest nodes never load any of this
// beyond the `kind` check. docs/membership.md#misbehaviour says how each one is caught.
import { randomBytes } from 'node:crypto';
import { sha256, type KeyPair } from './crypto/index.js';
import type { Behaviour } from './config.js';
import { encodeFrame } from './wire/codec.js';
import { signBroadcast } from './wire/messages.js';
import type { Broadcast, Receipts, Relay, Repair } from './wire/schemas.js';

export type RelayFate = { kind: 'process' } | { kind: 'drop' } | { kind: 'delay'; ms: number };

/** What an incoming relay suffers: `unreliable` drops a share and delays the rest; `drop` takes none. */
export function relayFate(b: Behaviour, id: string, copy: number): RelayFate {
  if (b.kind === 'drop') return { kind: 'drop' };
  if (b.kind !== 'unreliable') return { kind: 'process' };
  const h = sha256(`${b.seed}\0${id}\0${copy}`);
  if (h.readUInt32BE(0) / 2 ** 32 < b.dropRate) return { kind: 'drop' };
  const ms = Math.floor((h.readUInt32BE(4) / 2 ** 32) * b.maxDelayMs);
  return ms > 0 ? { kind: 'delay', ms } : { kind: 'process' };
}

/**
 * An outgoing frame as a byzantine node sends it: `corrupt` alters every relayed or repaired body (its signature
 * then fails); `forge-receipt` adds a receipt with a made-up signature for a member that has none.
 */
export function tamper(b: Behaviour, data: string, members: readonly number[], now: number): string {
  if (b.kind === 'corrupt' && (data.startsWith('{"type":"relay"') || data.startsWith('{"type":"repair"'))) {
    const frame = JSON.parse(data) as Relay | Repair;
    return encodeFrame({ ...frame, msg: { ...frame.msg, body: `${frame.msg.body}~` } });
  }
  if (b.kind === 'forge-receipt' && data.startsWith('{"type":"receipts"')) {
    const frame = JSON.parse(data) as Receipts;
    const have = new Set(frame.receipts.map((r) => r.node));
    const victim = members.find((m) => !have.has(m));
    if (victim === undefined) return data;
    return encodeFrame({ ...frame, receipts: [...frame.receipts, { node: victim, at: now, sig: randomBytes(64).toString('base64') }] });
  }
  return data;
}

export interface Mischief {
  self: number;
  key: KeyPair;
  network: () => string;
  members: () => readonly number[];
  now: () => number;
  /** Enters a broadcast at this node, as if a client had submitted it. */
  submit: (msg: Broadcast) => void;
  send: (peer: number, data: string) => void;
}

/**
 * Timed byzantine behaviours: `equivocate` signs two broadcasts with one nonce (one entered here, the
 * other sent to every second member); `flood` originates broadcasts far over the origin budget.
 * Returns a stop function.
 */
export function startMischief(b: Behaviour, m: Mischief): () => void {
  let n = 0;
  const own = (nonce: string, body: string): Broadcast =>
    signBroadcast(m.key, { net: m.network(), from: m.self, nonce, ts: m.now(), body });
  const relay = (msg: Broadcast): string => encodeFrame({ type: 'relay', msg, entry: m.self, strategy: 'tree' } satisfies Relay);
  const others = (): number[] => m.members().filter((id) => id !== m.self);
  if (b.kind === 'equivocate') {
    const timer = setInterval(() => {
      const nonce = randomBytes(16).toString('hex');
      const a = own(nonce, `equivocation ${++n} a`);
      const frame = relay(own(nonce, `equivocation ${n} b`));
      m.submit(a);
      others().forEach((id, i) => { if (i % 2 === 1) m.send(id, frame); });
    }, b.everyMs);
    return () => clearInterval(timer);
  }
  if (b.kind === 'flood') {
    const timer = setInterval(() => {
      const frame = relay(own(randomBytes(16).toString('hex'), `flood ${++n}`));
      for (const id of others()) m.send(id, frame);
    }, Math.max(1, Math.floor(1000 / b.ratePerSec)));
    return () => clearInterval(timer);
  }
  return () => {};
}
