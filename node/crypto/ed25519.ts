// Ed25519 identities on node:crypto (OpenSSL): the hot path's sign/verify. See docs/protocol.md#identity.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';

/** DER prefixes that wrap a raw 32-byte Ed25519 seed / public key (RFC 8410). */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface KeyPair {
  /** 32-byte private seed. */
  readonly seed: Buffer;
  /** 32-byte raw public key. */
  readonly publicKey: Buffer;
  readonly privateKeyObject: KeyObject;
}

/** Builds a key pair from a 32-byte seed (RFC 8032 "secret key"). */
export function keyPairFromSeed(seed: Uint8Array): KeyPair {
  if (seed.length !== 32) throw new RangeError(`Ed25519 seed must be 32 bytes, got ${seed.length}`);
  const seedBuf = Buffer.from(seed);
  const privateKeyObject = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, seedBuf]),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = createPublicKey(privateKeyObject).export({ format: 'der', type: 'spki' });
  return { seed: seedBuf, publicKey: spki.subarray(SPKI_PREFIX.length), privateKeyObject };
}

/** Deterministic key derivation: the same (seed, label, index) always gives the same key. */
export function deriveKeyPair(runSeed: string, label: string, index: number): KeyPair {
  const h = createHash('sha256').update(`spinoza/key/v1\0${runSeed}\0${label}\0${index}`).digest();
  return keyPairFromSeed(h);
}

const publicKeyCache = new Map<string, KeyObject>();
const PUBLIC_KEY_CACHE_MAX = 100_000;

/** Imports a raw 32-byte public key, cached: importing costs about as much as a verify. */
export function publicKeyObject(raw: Uint8Array): KeyObject {
  const id = Buffer.from(raw).toString('base64');
  let key = publicKeyCache.get(id);
  if (key === undefined) {
    if (raw.length !== 32) throw new RangeError(`Ed25519 public key must be 32 bytes, got ${raw.length}`);
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
    if (publicKeyCache.size >= PUBLIC_KEY_CACHE_MAX) publicKeyCache.clear();
    publicKeyCache.set(id, key);
  }
  return key;
}

export function sign(key: KeyPair, message: Uint8Array): Buffer {
  return cryptoSign(null, message, key.privateKeyObject);
}

/** Strict RFC 8032 verification (OpenSSL). Never throws: malformed input is simply invalid. */
export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    return cryptoVerify(null, message, publicKeyObject(publicKey), signature);
  } catch {
    // OpenSSL rejects some non-canonical encodings by throwing; for us that is "invalid".
    return false;
  }
}

export function sha256(...parts: (string | Uint8Array)[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}
