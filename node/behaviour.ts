// Test-only behaviours (config `behaviour`): how an unreliable node mistreats incoming relays.
// Decisions are a pure function of (seed, message id, copy number), so a run replays exactly.
import { sha256 } from './crypto/index.js';
import type { Behaviour } from './config.js';

export type RelayFate = { kind: 'process' } | { kind: 'drop' } | { kind: 'delay'; ms: number };

export function relayFate(b: Behaviour, id: string, copy: number): RelayFate {
  if (b.kind === 'honest') return { kind: 'process' };
  const h = sha256(`${b.seed}\0${id}\0${copy}`);
  if (h.readUInt32BE(0) / 2 ** 32 < b.dropRate) return { kind: 'drop' };
  const ms = Math.floor((h.readUInt32BE(4) / 2 ** 32) * b.maxDelayMs);
  return ms > 0 ? { kind: 'delay', ms } : { kind: 'process' };
}
