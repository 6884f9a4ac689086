// Signing and identifying broadcasts and receipts (canonical bytes per docs/protocol.md#signing).
import { canonicalBytes, sha256, sign, verify, type KeyPair } from '../crypto/index.js';
import { PROTOCOL_VERSION, type Broadcast, type Receipt } from './schemas.js';

export type UnsignedBroadcast = Omit<Broadcast, 'sig' | 'v'>;

export const broadcastBytes = (m: UnsignedBroadcast): Buffer =>
  canonicalBytes('broadcast', [m.net, String(m.from), m.nonce, m.ts, m.body]);

/** Message id: hash of the signed content. Computing it costs a hash, never a verify. */
export const messageId = (m: UnsignedBroadcast): string => sha256(broadcastBytes(m)).toString('hex');

export function signBroadcast(key: KeyPair, m: UnsignedBroadcast): Broadcast {
  return { v: PROTOCOL_VERSION, ...m, sig: sign(key, broadcastBytes(m)).toString('base64') };
}

export const verifyBroadcast = (publicKey: Uint8Array, m: Broadcast): boolean =>
  verify(publicKey, broadcastBytes(m), Buffer.from(m.sig, 'base64'));

export const receiptBytes = (net: string, id: string, node: number, at: number): Buffer =>
  canonicalBytes('receipt', [net, id, node, at]);

export function signReceipt(key: KeyPair, net: string, id: string, node: number, at: number): Receipt {
  return { node, at, sig: sign(key, receiptBytes(net, id, node, at)).toString('base64') };
}

export const verifyReceipt = (publicKey: Uint8Array, net: string, id: string, r: Receipt): boolean =>
  verify(publicKey, receiptBytes(net, id, r.node, r.at), Buffer.from(r.sig, 'base64'));
