// Crypto and codec floor on this machine: what one hop of the hot path costs at minimum.
// Run: npm run build && node dist/bench/crypto.js
import { randomBytes } from 'node:crypto';
import { deriveKeyPair, sign, verify } from '../node/crypto/index.js';
import { decodeFrame, DEFAULT_WIRE_LIMITS, encodeFrame, messageId, signBroadcast } from '../node/wire/index.js';

function rate(label: string, fn: () => void, ms = 1000): number {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
  }
  const perSec = n / (ms / 1000);
  process.stdout.write(`${label.padEnd(40)} ${Math.round(perSec).toLocaleString('en-US').padStart(12)} /s   ${(1e6 / perSec).toFixed(1).padStart(7)} µs\n`);
  return perSec;
}

const key = deriveKeyPair('bench', 'node', 1);
const data = randomBytes(200);
const sig = sign(key, data);
const msg = signBroadcast(key, { net: 'bench', from: 1, nonce: randomBytes(16).toString('hex'), ts: Date.now(), body: 'x'.repeat(256) });
const frame = encodeFrame({ type: 'relay', msg, entry: 1, strategy: 'tree' });

process.stdout.write('spinoza crypto/codec floor (node:crypto = OpenSSL Ed25519)\n');
rate('ed25519 sign (node:crypto)', () => sign(key, data));
rate('ed25519 verify (node:crypto)', () => verify(key.publicKey, data, sig));
rate('message id (canonical bytes + sha256)', () => messageId(msg));
rate('decode relay frame (JSON + zod)', () => decodeFrame(frame, DEFAULT_WIRE_LIMITS));
rate('encode relay frame (JSON)', () => encodeFrame({ type: 'relay', msg, entry: 1, strategy: 'tree' }));
