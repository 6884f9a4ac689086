// Link authentication: the connecting node signs a hello, the listener answers with a signed welcome.
// After it, every frame on the socket is attributed to the authenticated peer (no per-frame signature).
import { randomBytes } from 'node:crypto';
import { canonicalBytes, sign, verify, type KeyPair } from '../crypto/index.js';
import type { Directory } from '../directory/directory.js';
import { PROTOCOL_VERSION, type Hello, type Welcome } from '../wire/schemas.js';
import { accept, reject, type Verdict } from '../wire/verdict.js';

const helloBytes = (net: string, from: number, to: number, ts: number, nonce: string): Buffer =>
  canonicalBytes('hello', [net, from, to, ts, nonce]);
const welcomeBytes = (net: string, from: number, to: number, nonce: string): Buffer =>
  canonicalBytes('welcome', [net, from, to, nonce]);

export function makeHello(key: KeyPair, net: string, from: number, to: number, ts: number): Hello {
  const nonce = randomBytes(16).toString('hex');
  return { type: 'hello', v: PROTOCOL_VERSION, net, from, to, ts, nonce, sig: sign(key, helloBytes(net, from, to, ts, nonce)).toString('base64') };
}

export function makeWelcome(key: KeyPair, net: string, from: number, hello: Hello): Welcome {
  return { type: 'welcome', from, to: hello.from, nonce: hello.nonce, sig: sign(key, welcomeBytes(net, from, hello.from, hello.nonce)).toString('base64') };
}

/** Checks a hello addressed to `self`: network, addressee, freshness, membership, signature. */
export function checkHello(h: Hello, dir: Directory, self: number, now: number, maxSkewMs: number): Verdict<Hello> {
  if (h.net !== dir.network) return reject('wrong-network', `hello for network ${h.net}`);
  if (h.to !== self) return reject('schema', `hello addressed to node ${h.to}, this is ${self}`);
  if (Math.abs(now - h.ts) > maxSkewMs) return reject('clock-skew', `hello timestamp off by ${now - h.ts} ms`);
  const key = dir.nodeKey(h.from);
  if (!key) return reject('unknown-sender', `node ${h.from} is not in the directory`);
  if (!verify(key, helloBytes(h.net, h.from, h.to, h.ts, h.nonce), Buffer.from(h.sig, 'base64'))) {
    return reject('bad-signature', `hello from node ${h.from}`);
  }
  return accept(h);
}

/** Checks the welcome answering our hello: the peer we dialled signed our nonce. */
export function checkWelcome(w: Welcome, dir: Directory, self: number, expectedPeer: number, nonce: string): Verdict<Welcome> {
  if (w.from !== expectedPeer || w.to !== self || w.nonce !== nonce) return reject('schema', 'welcome does not answer our hello');
  const key = dir.nodeKey(w.from);
  if (!key) return reject('unknown-sender', `node ${w.from} is not in the directory`);
  if (!verify(key, welcomeBytes(dir.network, w.from, w.to, w.nonce), Buffer.from(w.sig, 'base64'))) {
    return reject('bad-signature', `welcome from node ${w.from}`);
  }
  return accept(w);
}
