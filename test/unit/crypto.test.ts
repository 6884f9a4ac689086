// node/crypto against RFC 8032 §7.1 Ed25519 vectors; strict verification; key derivation; canonical bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalBytes, deriveKeyPair, DOMAIN, keyPairFromSeed, publicKeyObject, sign, verify, type CanonicalField, type Domain } from '../../node/crypto/index.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

interface Vector {
  secret: string;
  public: string;
  message: string;
  signature: string;
}

/** RFC 8032 §7.1, verbatim (hex). TEST 1024's message is 1023 bytes, checked below. */
const RFC8032: Record<'TEST 1' | 'TEST 2' | 'TEST 3' | 'TEST 1024' | 'TEST SHA(abc)', Vector> = {
  'TEST 1': {
    secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  'TEST 2': {
    secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  'TEST 3': {
    secret: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    public: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature:
      '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
  'TEST 1024': {
    secret: 'f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5',
    public: '278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e',
    message: [
      '08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98',
      'fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d8',
      '79de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d',
      '658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc',
      '1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4fe',
      'ba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e',
      '06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbef',
      'efd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7',
      'aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1',
      '85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2',
      'd17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24',
      '554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270',
      '88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc',
      '2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b07',
      '07e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba',
      'b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51a',
      'ddd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429e',
      'c96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7',
      '51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c',
      '42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8',
      'ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df',
      'f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08',
      'd78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649',
      'de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4',
      '88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a3',
      '2ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e',
      '6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f',
      'b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b5',
      '0d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1',
      '369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d',
      'b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c',
      '0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0',
    ].join(''),
    signature:
      '0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03',
  },
  'TEST SHA(abc)': {
    secret: '833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42',
    public: 'ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf',
    // SHA-512("abc")
    message:
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    signature:
      'dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704',
  },
};
const vectors = Object.entries(RFC8032);

const flipBit = (b: Uint8Array, bit: number): Buffer => {
  const out = Buffer.from(b);
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
};

/** Ed25519 group order L (RFC 8032 §5.1). */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

describe('Ed25519: RFC 8032 §7.1 vectors', () => {
  it('TEST 1024 carries a 1023-byte message, as in the RFC', () => {
    expect(hex(RFC8032['TEST 1024'].message)).toHaveLength(1023);
  });

  it.each(vectors)('%s: keyPairFromSeed derives the public key', (_, v) => {
    const kp = keyPairFromSeed(hex(v.secret));
    expect(kp.publicKey.toString('hex')).toBe(v.public);
    expect(kp.seed.toString('hex')).toBe(v.secret);
  });

  it.each(vectors)('%s: sign reproduces the signature byte for byte', (_, v) => {
    expect(sign(keyPairFromSeed(hex(v.secret)), hex(v.message)).toString('hex')).toBe(v.signature);
  });

  it.each(vectors)('%s: verify accepts the RFC signature under the RFC key', (_, v) => {
    expect(verify(hex(v.public), hex(v.message), hex(v.signature))).toBe(true);
  });

  it.each(vectors)('%s: a flipped bit in message, signature or key fails', (_, v) => {
    const [pk, msg, sig] = [hex(v.public), hex(v.message), hex(v.signature)];
    for (let bit = 0; bit < msg.length * 8; bit += 7) expect(verify(pk, flipBit(msg, bit), sig)).toBe(false);
    for (let bit = 0; bit < 512; bit += 5) expect(verify(pk, msg, flipBit(sig, bit))).toBe(false);
    for (let bit = 0; bit < 256; bit += 3) expect(verify(flipBit(pk, bit), msg, sig)).toBe(false);
    // The message grown by one byte is a different message.
    expect(verify(pk, Buffer.concat([msg, Buffer.of(0)]), sig)).toBe(false);
  });

  it.each(vectors)('%s: strict rules refuse the malleated signature (S + L)', (_, v) => {
    const sig = hex(v.signature);
    const s = BigInt(`0x${Buffer.from(sig.subarray(32)).reverse().toString('hex')}`) + L;
    const sPlusL = Buffer.from(s.toString(16).padStart(64, '0'), 'hex').reverse();
    expect(verify(hex(v.public), hex(v.message), Buffer.concat([sig.subarray(0, 32), sPlusL]))).toBe(false);
  });
});

describe('Ed25519: verify on malformed input', () => {
  const v = RFC8032['TEST 2'];
  const [pk, msg, sig] = [hex(v.public), hex(v.message), hex(v.signature)];

  const wrongLengths: [string, Uint8Array, Uint8Array][] = [
    ['empty key', Buffer.alloc(0), sig],
    ['31-byte key', pk.subarray(0, 31), sig],
    ['33-byte key', Buffer.concat([pk, Buffer.of(0)]), sig],
    ['empty signature', pk, Buffer.alloc(0)],
    ['63-byte signature', pk, sig.subarray(0, 63)],
    ['65-byte signature', pk, Buffer.concat([sig, Buffer.of(0)])],
  ];
  it.each(wrongLengths)('%s: false', (_, key, signature) => {
    expect(verify(key, msg, signature)).toBe(false);
  });

  it('never throws, and is false, on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 40 }), fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: 0, maxLength: 70 }), (key, m, s) => {
        expect(verify(key, m, s)).toBe(false);
      }),
    );
  });

  it('never throws on right-sized garbage, including keys that are not curve points', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 64, maxLength: 64 }), (key, s) => {
        expect(verify(key, msg, s)).toBe(false);
      }),
      { numRuns: 300 },
    );
    // y = 2 has no x on the curve: importing or verifying must not throw.
    expect(verify(Buffer.concat([Buffer.of(2), Buffer.alloc(31)]), msg, sig)).toBe(false);
    expect(verify(Buffer.alloc(32, 0xff), msg, Buffer.alloc(64, 0xff))).toBe(false);
  });

  it('keyPairFromSeed and publicKeyObject refuse wrong lengths with a RangeError', () => {
    for (const n of [0, 31, 33, 64]) {
      expect(() => keyPairFromSeed(Buffer.alloc(n))).toThrow(RangeError);
      expect(() => publicKeyObject(Buffer.alloc(n))).toThrow(RangeError);
    }
  });
});

describe('deriveKeyPair', () => {
  const base = ['run-1', 'node', 7] as const;
  const variants: [string, readonly [string, string, number]][] = [
    ['another run seed', ['run-2', 'node', 7]],
    ['another label', ['run-1', 'client', 7]],
    ['another index', ['run-1', 'node', 8]],
    // The separator keeps a label from sliding into the run seed.
    ['label shifted into the seed', ['run-1node', '', 7]],
  ];

  it('is deterministic: the same (seed, label, index) gives the same key', () => {
    const a = deriveKeyPair(...base);
    const b = deriveKeyPair(...base);
    expect(a.seed.equals(b.seed)).toBe(true);
    expect(a.publicKey.equals(b.publicKey)).toBe(true);
    expect(sign(a, Buffer.from('m')).equals(sign(b, Buffer.from('m')))).toBe(true);
  });

  it.each(variants)('%s gives a different key', (_, args) => {
    expect(deriveKeyPair(...args).publicKey.equals(deriveKeyPair(...base).publicKey)).toBe(false);
  });

  it('gives 1,000 distinct keys for 1,000 indices, each a working key pair', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 1000; i++) keys.add(deriveKeyPair('run-1', 'node', i).publicKey.toString('hex'));
    expect(keys.size).toBe(1000);
    const kp = deriveKeyPair('run-1', 'node', 3);
    expect(verify(kp.publicKey, Buffer.from('hi'), sign(kp, Buffer.from('hi')))).toBe(true);
  });
});

describe('canonicalBytes', () => {
  it('has a fixed layout: tag, then (type byte, u32 BE length, bytes) per field', () => {
    const tag = Buffer.from(DOMAIN.receipt, 'utf8');
    const expected = Buffer.concat([
      Buffer.of(0, 0, 0, 0, tag.length), tag,
      Buffer.of(1, 0, 0, 0, 1), Buffer.from('n'),
      Buffer.of(2, 0, 0, 0, 2), Buffer.from('42'),
      Buffer.of(3, 0, 0, 0, 1, 0xff),
    ]);
    expect(canonicalBytes('receipt', ['n', 42, Uint8Array.of(0xff)]).equals(expected)).toBe(true);
  });

  const mustDiffer: [string, CanonicalField[], CanonicalField[]][] = [
    ['split point moved', ['ab', 'c'], ['a', 'bc']],
    ['string vs number', ['1'], [1]],
    ['string vs bytes', ['abc'], [Buffer.from('abc')]],
    ['number vs bytes', [7], [Buffer.from('7')]],
    ['no field vs one empty field', [], ['']],
    ['one empty field vs two', [''], ['', '']],
    ['10 vs 1, 0', [10], [1, 0]],
    ['negative number vs string', [-1], ['-1']],
    ['field order', ['a', 'b'], ['b', 'a']],
  ];
  it.each(mustDiffer)('is unambiguous: %s', (_, a, b) => {
    expect(canonicalBytes('broadcast', a).equals(canonicalBytes('broadcast', b))).toBe(false);
  });

  it('is injective over arbitrary field lists (property)', () => {
    const field: fc.Arbitrary<CanonicalField> = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 8 }),
      fc.maxSafeInteger().map((n) => (n === 0 ? 0 : n)), // no -0: it is the same number as 0
      fc.uint8Array({ maxLength: 8 }),
    );
    const key = (fs: CanonicalField[]): string =>
      JSON.stringify(fs.map((f) => (typeof f === 'string' ? ['s', f] : typeof f === 'number' ? ['n', f] : ['b', [...f]])));
    fc.assert(
      fc.property(fc.array(field, { maxLength: 5 }), fc.array(field, { maxLength: 5 }), (a, b) => {
        expect(canonicalBytes('hello', a).equals(canonicalBytes('hello', b))).toBe(key(a) === key(b));
      }),
      { numRuns: 2000 },
    );
  });

  it('separates domains: the same fields under each tag give different bytes', () => {
    const domains = Object.keys(DOMAIN) as Domain[];
    const fields: CanonicalField[] = ['net', 1, 'x'];
    const seen = new Set(domains.map((d) => canonicalBytes(d, fields).toString('hex')));
    expect(seen.size).toBe(domains.length);
    // ... so a signature for one purpose does not verify for another.
    const kp = deriveKeyPair('run', 'node', 1);
    const sig = sign(kp, canonicalBytes('receipt', fields));
    expect(verify(kp.publicKey, canonicalBytes('receipt', fields), sig)).toBe(true);
    for (const d of domains.filter((x) => x !== 'receipt')) expect(verify(kp.publicKey, canonicalBytes(d, fields), sig)).toBe(false);
  });

  it.each([2 ** 53, -(2 ** 53), 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
    'refuses the unsafe number %s with a RangeError',
    (n) => {
      expect(() => canonicalBytes('broadcast', ['a', n])).toThrow(RangeError);
    },
  );

  it('accepts the extreme safe integers', () => {
    expect(() => canonicalBytes('broadcast', [Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 0])).not.toThrow();
  });

  // A lone surrogate has no UTF-8 encoding: Buffer.from turns it into U+FFFD, so two different
  // strings would give the same signing bytes (one signature would cover both).
  it('refuses a string with a lone surrogate instead of conflating it with U+FFFD', () => {
    expect(() => canonicalBytes('broadcast', ['\ud800'])).toThrow(RangeError);
    expect(() => canonicalBytes('broadcast', ['\udc00x'])).toThrow(RangeError);
    // A surrogate pair is well-formed (one code point, four UTF-8 bytes).
    expect(canonicalBytes('broadcast', ['\ud83d\ude00']).subarray(-4).toString('hex')).toBe('f09f9880');
  });
});
