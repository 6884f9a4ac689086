// Validation of a broadcast after dedupe: freshness, origin standing, nonce reuse, then the signature
// (the one expensive check, last). Pure apart from the seen-set it reads.
import type { Directory } from '../directory/directory.js';
import { verifyBroadcast } from '../wire/messages.js';
import type { Broadcast } from '../wire/schemas.js';
import { accept, reject, type Verdict } from '../wire/verdict.js';
import type { SeenSet } from './seen.js';

export interface ValidationContext {
  dir: Directory;
  now: number;
  replayWindowMs: number;
  maxClockSkewMs: number;
  /** (origin, nonce) → message id, for nonce-reuse detection. */
  nonces: SeenSet<string>;
}

export function validateBroadcast(msg: Broadcast, id: string, ctx: ValidationContext): Verdict<Broadcast> {
  if (msg.net !== ctx.dir.network) return reject('wrong-network', `network ${msg.net}`);
  if (msg.ts > ctx.now + ctx.maxClockSkewMs) return reject('clock-skew', `timestamp ${msg.ts - ctx.now} ms in the future`);
  // Older than the window: we may have forgotten its id, so it could be a replay.
  if (msg.ts < ctx.now - ctx.replayWindowMs + ctx.maxClockSkewMs) return reject('replay', `timestamp ${ctx.now - msg.ts} ms old, outside the replay window`);
  const origin = ctx.dir.originKey(msg.from);
  if (!('key' in origin)) return reject(origin.reason, `origin ${msg.from}`);
  const earlier = ctx.nonces.get(`${msg.from}:${msg.nonce}`, ctx.now);
  if (!verifyBroadcast(origin.key, msg)) return reject('bad-signature', `broadcast from ${msg.from}`);
  // Checked after the signature: only the origin can sign two messages with one nonce, so this is its doing.
  if (earlier !== undefined && earlier !== id) return reject('equivocation', `nonce ${msg.nonce} of ${msg.from} signed for ${earlier.slice(0, 12)} and ${id.slice(0, 12)}`);
  return accept(msg);
}
