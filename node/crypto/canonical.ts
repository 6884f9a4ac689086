// Canonical signing bytes: a domain tag per message type, then fields in a fixed order.
// Two encoders that disagree would make honest nodes reject each other, so there is one.

/** Domain-separation tags: a signature for one purpose can never be replayed as another. */
export const DOMAIN = {
  broadcast: 'spinoza/broadcast/v1',
  receipt: 'spinoza/receipt/v1',
  hello: 'spinoza/hello/v1',
  welcome: 'spinoza/welcome/v1',
  /** A node's registration request: proof of key possession, and what its credential binds. */
  register: 'spinoza/register/v1',
  /** The testnet authority's signature over a directory snapshot. */
  directory: 'spinoza/directory/v1',
  /** A member's co-signature of a directory change (node/membership/quorum.ts). */
  directoryChange: 'spinoza/directory-change/v1',
  /** A member's accusation of another (node/membership/accusations.ts). */
  accusation: 'spinoza/accusation/v1',
  /** The testnet authority's admission credential for a new key (node/membership/admission.ts). */
  admission: 'spinoza/admission/v1',
} as const;
export type Domain = keyof typeof DOMAIN;

export type CanonicalField = string | number | Uint8Array;

/**
 * Length-prefixed concatenation: tag, then each field as (type byte, u32 length, bytes).
 * Unambiguous for any field values, unlike joining with a separator.
 */
export function canonicalBytes(domain: Domain, fields: readonly CanonicalField[]): Buffer {
  const parts: Buffer[] = [];
  const push = (type: number, bytes: Buffer): void => {
    const head = Buffer.alloc(5);
    head.writeUInt8(type, 0);
    head.writeUInt32BE(bytes.length, 1);
    parts.push(head, bytes);
  };
  push(0, Buffer.from(DOMAIN[domain], 'utf8'));
  for (const f of fields) {
    if (typeof f === 'string') {
      // A lone surrogate would be replaced by U+FFFD: two strings, one encoding. Refuse it.
      if (/\p{Cs}/u.test(f)) throw new RangeError('canonical string holds a lone UTF-16 surrogate');
      push(1, Buffer.from(f, 'utf8'));
    }
    else if (typeof f === 'number') {
      if (!Number.isSafeInteger(f)) throw new RangeError(`canonical number must be a safe integer: ${f}`);
      push(2, Buffer.from(String(f), 'utf8'));
    } else push(3, Buffer.from(f));
  }
  return Buffer.concat(parts);
}
