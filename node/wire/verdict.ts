// Typed verdicts for the hot path: validation returns a reason from a closed union, never throws.
// The same names label metrics and NDJSON `rejected` events.

export const REJECT_REASONS = [
  'malformed', // not JSON
  'schema', // JSON of the wrong shape
  'oversized', // frame or body over its limit
  'wrong-network', // network id of another testnet
  'bad-signature',
  'unknown-sender', // origin or peer not in the directory
  'not-in-good-standing', // in the directory, but DOWN / UNRELIABLE / NEW
  'replay', // nonce reused, or a submitted message seen before
  'clock-skew', // timestamp too far from ours
  'unauthenticated', // node-to-node frame before a valid hello
  'equivocation', // a validly signed broadcast reusing the nonce of a different one: its origin equivocates
  'rate-limited', // a node originating broadcasts beyond its budget (originRatePerSec)
  'bad-receipt', // a reported receipt whose signature does not hold
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export type Verdict<T> = { ok: true; value: T } | { ok: false; reason: RejectReason; detail: string };

export const accept = <T>(value: T): Verdict<T> => ({ ok: true, value });
export const reject = <T = never>(reason: RejectReason, detail: string): Verdict<T> => ({ ok: false, reason, detail });
