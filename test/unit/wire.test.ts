// node/wire (frame decoding, message ids, signed broadcasts and receipts), broadcast validation and
// the link handshake: accept cases, then bad-input tables keyed by every reason each check can return.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeenSet } from '../../node/broadcast/seen.js';
import { validateBroadcast, type ValidationContext } from '../../node/broadcast/validate.js';
import { deriveKeyPair, type KeyPair } from '../../node/crypto/index.js';
import { Directory, type NodeStatus } from '../../node/directory/index.js';
import { checkHello, checkWelcome, makeHello, makeWelcome } from '../../node/transport/handshake.js';
import {
  Broadcast,
  decodeFrame,
  DEFAULT_WIRE_LIMITS,
  encodeFrame,
  messageId,
  PROTOCOL_VERSION,
  signBroadcast,
  signReceipt,
  verifyBroadcast,
  verifyReceipt,
  type Hello,
  type InboundFrame,
  type RejectReason,
  type Relay,
  type UnsignedBroadcast,
  type Verdict,
  type Welcome,
  type WireLimits,
} from '../../node/wire/index.js';

// ---- shared fixtures: a small directory with a node in every status and one trusted initiator ----

const NET = 'spinoza-test-0123';
const T0 = 1_700_000_000_000;
const STATUS: Record<number, NodeStatus> = { 1: 'UP', 2: 'UP', 3: 'UP', 4: 'DOWN', 5: 'NEW', 6: 'UNRELIABLE' };
const nodeKey = (i: number): KeyPair => deriveKeyPair('wire-test', 'node', i);
const aliceKey = deriveKeyPair('wire-test', 'client', 0);
const strangerKey = nodeKey(99); // node 99 is not in the directory

const dir = new Directory({
  network: NET,
  epoch: 0,
  neighborhoodSize: 15,
  nodes: Object.entries(STATUS).map(([id, status]) => ({
    id: Number(id),
    host: '127.0.0.1',
    port: 9000 + Number(id),
    publicKey: nodeKey(Number(id)).publicKey.toString('base64'),
    status,
  })),
  initiators: [{ name: 'alice', publicKey: aliceKey.publicKey.toString('base64') }],
});

const unsigned: UnsignedBroadcast = { net: NET, from: 1, nonce: '0123456789abcdef', ts: T0, body: 'hello, ring' };
const signed = signBroadcast(nodeKey(1), unsigned);
const ID = messageId(unsigned);
const fromAlice = signBroadcast(aliceKey, { ...unsigned, from: 'alice', nonce: 'fedcba9876543210' });
const hello = makeHello(nodeKey(1), NET, 1, 2, T0);
const welcome = makeWelcome(nodeKey(2), NET, 2, hello);

const expectReject = <T>(v: Verdict<T>, reason: RejectReason): void => {
  expect(v.ok ? 'accepted' : v.reason).toBe(reason);
};

// ---- decodeFrame ----

const LIMITS: WireLimits = { maxFrameBytes: 2048, maxBodyBytes: 64 };

type FrameType = InboundFrame['type'];
const PROPOSAL = { net: NET, epoch: 1, prev: dir.hash, change: { kind: 'down' as const, node: 3, evidence: { reason: 'probe-timeout' as const, by: 1, at: T0 } } };
const b64sig = Buffer.alloc(64, 1).toString('base64');
/** One valid frame per type; the mapped type makes the compiler ask for a new frame type here. */
const VALID: { [T in FrameType]: Extract<InboundFrame, { type: T }> } = {
  hello,
  welcome,
  relay: { type: 'relay', msg: signed, entry: 1, strategy: 'tree' },
  ack: { type: 'ack', id: ID },
  receipts: {
    type: 'receipts',
    id: ID,
    receipts: [signReceipt(nodeKey(2), NET, ID, 2, T0 + 5)],
    unreached: [{ node: 3, by: 1, reason: 'no-ack' }],
    complete: [2],
  },
  submit: { type: 'submit', req: 0, msg: fromAlice, strategy: 'gossip' },
  'get-proof': { type: 'get-proof', req: 7, id: ID },
  digest: { type: 'digest', buckets: [{ b: 885_123_456, n: 2, x: '0123456789abcdef' }] },
  'bucket-ids': { type: 'bucket-ids', buckets: [885_123_456], ids: [ID.slice(0, 12), 'a'.repeat(12)] },
  want: { type: 'want', ids: [] },
  repair: { type: 'repair', msg: signed, entry: 1, strategy: 'ring' },
  ping: { type: 'ping', seq: 1 },
  pong: { type: 'pong', seq: 1 },
  probe: { type: 'probe', seq: 1, epoch: 0 },
  'probe-ack': { type: 'probe-ack', seq: 1, of: 2, epoch: 0 },
  'probe-req': { type: 'probe-req', seq: 1, target: 3 },
  propose: { type: 'propose', proposal: PROPOSAL },
  vote: { type: 'vote', proposal: PROPOSAL, sig: b64sig },
  certificates: { type: 'certificates', certs: [{ proposal: PROPOSAL, sigs: [{ node: 1, sig: b64sig }] }] },
  accuse: { type: 'accuse', accusation: { net: NET, accused: 3, by: 1, kind: 'forged-receipt', at: T0, ref: ID, sig: b64sig } },
  request: { type: 'request', change: PROPOSAL.change },
};

const omit = <T extends object, K extends keyof T>(o: T, k: K): Omit<T, K> => {
  const { [k]: _dropped, ...rest } = o;
  return rest;
};
const b64 = (bytes: number): string => Buffer.alloc(bytes, 7).toString('base64');
const json = (o: unknown): string => JSON.stringify(o);
const relayWith = (msg: object): string => json({ ...VALID.relay, msg: { ...signed, ...msg } });
const padTo = (frame: string, bytes: number): string => frame + ' '.repeat(bytes - Buffer.byteLength(frame));

/** The reasons decodeFrame can decide on its own (the rest need a directory or a clock). */
type DecodeReason = Extract<RejectReason, 'malformed' | 'schema' | 'oversized'>;
type BadInput = [name: string, input: string | Buffer];

const BAD_FRAMES: { [R in DecodeReason]: BadInput[] } = {
  malformed: [
    ['empty input', ''],
    ['not JSON', 'hello'],
    ['truncated object', '{"type":"ack"'],
    ['trailing comma', '{"type":"ack",}'],
    ['single quotes', "{'type':'ack'}"],
    ['NaN literal', '{"type":"ack","id":NaN}'],
    ['invalid UTF-8 bytes', Buffer.from([0xff, 0xfe, 0x7b])],
  ],
  schema: [
    ['JSON null', 'null'],
    ['a JSON array', '[]'],
    ['a JSON number', '42'],
    ['a JSON string', '"relay"'],
    ['an empty object', '{}'],
    ['missing type', json(omit(VALID.ack, 'type'))],
    ['unknown type', json({ ...VALID.ack, type: 'nack' })],
    ['type in the wrong case', json({ ...VALID.ack, type: 'ACK' })],
    ['message id one hex digit short', json({ ...VALID.ack, id: ID.slice(1) })],
    ['message id one hex digit long', json({ ...VALID.ack, id: `${ID}0` })],
    ['message id in upper case', json({ ...VALID.ack, id: ID.toUpperCase() })],
    ['message id not hex', json({ ...VALID.ack, id: 'g'.repeat(64) })],
    ['message id a number', json({ ...VALID.ack, id: 1 })],
    ['get-proof without an id', json(omit(VALID['get-proof'], 'id'))],
    ['signature of 63 bytes', relayWith({ sig: b64(63) })],
    ['signature of 65 bytes', relayWith({ sig: b64(65) })],
    ['signature not base64', relayWith({ sig: `${'!'.repeat(86)}==` })],
    ['signature missing', relayWith({ sig: undefined })],
    ['hello signature of 32 bytes', json({ ...hello, sig: b64(32) })],
    ['hello without a signature', json(omit(hello, 'sig'))],
    ['hello from a string id', json({ ...hello, from: '1' })],
    ['hello from node 0', json({ ...hello, from: 0 })],
    ['hello from a fractional id', json({ ...hello, from: 1.5 })],
    ['hello from an id above 1,000,000', json({ ...hello, from: 1_000_001 })],
    ['hello of protocol version 2', json({ ...hello, v: 2 })],
    ['hello with a fractional timestamp', json({ ...hello, ts: T0 + 0.5 })],
    ['welcome nonce of 15 bytes', json({ ...welcome, nonce: welcome.nonce.slice(2) })],
    ['relay without a message', json(omit(VALID.relay, 'msg'))],
    ['relay without an entry', json(omit(VALID.relay, 'entry'))],
    ['relay of an unknown strategy', json({ ...VALID.relay, strategy: 'flood' })],
    ['broadcast of protocol version 2', relayWith({ v: 2 })],
    ['broadcast from an invalid initiator name', relayWith({ from: 'Alice' })],
    ['broadcast from a negative node id', relayWith({ from: -1 })],
    ['broadcast nonce of 15 hex digits', relayWith({ nonce: 'a'.repeat(15) })],
    ['broadcast nonce not hex', relayWith({ nonce: 'z'.repeat(16) })],
    ['broadcast with a negative timestamp', relayWith({ ts: -1 })],
    ['broadcast with a string timestamp', relayWith({ ts: String(T0) })],
    ['broadcast with a numeric body', relayWith({ body: 5 })],
    ['broadcast with an empty network id', relayWith({ net: '' })],
    ['broadcast with a 65-character network id', relayWith({ net: 'n'.repeat(65) })],
    ['submit with a negative request number', json({ ...VALID.submit, req: -1 })],
    ['receipts with a receipt from node 0', json({ ...VALID.receipts, receipts: [{ ...VALID.receipts.receipts[0], node: 0 }] })],
    ['receipts with an unknown unreached reason', json({ ...VALID.receipts, unreached: [{ node: 3, by: 1, reason: 'lazy' }] })],
    ['receipts with complete not a list', json({ ...VALID.receipts, complete: 2 })],
    ['bucket-ids with a full message id (short ids are 12 hex digits)', json({ ...VALID['bucket-ids'], ids: [ID] })],
    ['bucket-ids with an 11-digit short id', json({ ...VALID['bucket-ids'], ids: [ID.slice(0, 11)] })],
    ['digest bucket with an empty count', json({ type: 'digest', buckets: [{ b: 1, n: 0, x: '0123456789abcdef' }] })],
    ['digest bucket with a short fingerprint', json({ type: 'digest', buckets: [{ b: 1, n: 1, x: '0123' }] })],
    ['want with ids not a list', json({ ...VALID.want, ids: ID.slice(0, 12) })],
    ['repair without an entry', json(omit(VALID.repair, 'entry'))],
    ['repair with a tampered-shape signature', json({ ...VALID.repair, msg: { ...signed, sig: b64(48) } })],
  ],
  oversized: [
    ['garbage one byte over the frame limit', 'x'.repeat(LIMITS.maxFrameBytes + 1)],
    ['garbage one byte over the frame limit, as bytes', Buffer.alloc(LIMITS.maxFrameBytes + 1, 0x78)],
    ['a valid ack padded one byte over the frame limit', padTo(json(VALID.ack), LIMITS.maxFrameBytes + 1)],
    // Counted in UTF-8 bytes, not UTF-16 units: 1,025 characters of 2 bytes each.
    ['a frame under the limit in characters, over it in bytes', 'é'.repeat(LIMITS.maxFrameBytes / 2 + 1)],
    ['a relay body one byte over the body limit', relayWith({ body: 'b'.repeat(LIMITS.maxBodyBytes + 1) })],
    ['a relay body under the limit in characters, over it in bytes', relayWith({ body: '€'.repeat(LIMITS.maxBodyBytes / 2) })],
    ['a submit body one byte over the body limit', json({ ...VALID.submit, msg: { ...fromAlice, body: 'b'.repeat(LIMITS.maxBodyBytes + 1) } })],
    ['a repair body one byte over the body limit', json({ ...VALID.repair, msg: { ...signed, body: 'b'.repeat(LIMITS.maxBodyBytes + 1) } })],
  ],
};

describe('decodeFrame', () => {
  it.each(Object.entries(VALID))('accepts a valid %s frame, as a string and as bytes', (_, frame) => {
    for (const input of [encodeFrame(frame), Buffer.from(encodeFrame(frame))]) {
      const v = decodeFrame(input, LIMITS);
      expect(v).toEqual({ ok: true, value: frame });
    }
  });

  it('accepts a submit without a strategy (the node picks its default)', () => {
    expect(decodeFrame(encodeFrame(omit(VALID.submit, 'strategy')), LIMITS).ok).toBe(true);
  });

  it('accepts a frame of exactly maxFrameBytes and a body of exactly maxBodyBytes', () => {
    expect(decodeFrame(padTo(json(VALID.ack), LIMITS.maxFrameBytes), LIMITS).ok).toBe(true);
    expect(decodeFrame(relayWith({ body: 'b'.repeat(LIMITS.maxBodyBytes) }), LIMITS).ok).toBe(true);
  });

  describe.each(Object.entries(BAD_FRAMES))('rejects as %s', (reason, cases) => {
    it.each(cases)('%s', (_, input) => {
      expectReject(decodeFrame(input, LIMITS), reason as DecodeReason);
    });
  });

  it('checks the frame size before parsing (cheapest check first)', () => {
    const huge = `{"type":"ack","id":"${'0'.repeat(LIMITS.maxFrameBytes)}"`; // also malformed and schema-invalid
    expectReject(decodeFrame(huge, LIMITS), 'oversized');
  });

  // A lone surrogate has no UTF-8 form: signing bytes would carry U+FFFD instead, so a relay could
  // swap U+FFFD for a lone surrogate (or back) and the message would keep its id and signature.
  it('rejects a body that is not well-formed Unicode (a lone surrogate) as schema', () => {
    const original = signBroadcast(nodeKey(1), { ...unsigned, body: 'a\ufffdb' });
    const swapped = encodeFrame({ ...VALID.relay, msg: { ...original, body: 'a\ud800b' } });
    expectReject(decodeFrame(swapped, DEFAULT_WIRE_LIMITS), 'schema');
  });

  it('round-trips every well-formed relay: decode(encode(f)) = f (property)', () => {
    const hexDigit = fc.constantFrom(...'0123456789abcdef');
    const relay = fc
      .record({
        body: fc.string({ unit: 'binary', maxLength: 300 }),
        from: fc.oneof(fc.integer({ min: 1, max: 1_000_000 }), fc.constantFrom('alice', 'bob-2', 'c_3')),
        nonce: fc.string({ unit: hexDigit, minLength: 16, maxLength: 64 }),
        ts: fc.maxSafeInteger().filter((n) => n >= 0),
        entry: fc.integer({ min: 1, max: 1_000_000 }),
        strategy: fc.constantFrom('tree' as const, 'ring' as const, 'gossip' as const),
      })
      .map(({ entry, strategy, ...m }): Relay => ({ type: 'relay', entry, strategy, msg: signBroadcast(nodeKey(1), { net: NET, ...m }) }));
    fc.assert(
      fc.property(relay, fc.boolean(), (frame, asBytes) => {
        const text = encodeFrame(frame);
        const v = decodeFrame(asBytes ? Buffer.from(text) : text, DEFAULT_WIRE_LIMITS);
        expect(v).toEqual({ ok: true, value: frame });
        if (!v.ok || v.value.type !== 'relay') return;
        expect(messageId(v.value.msg)).toBe(messageId(frame.msg));
        expect(verifyBroadcast(nodeKey(1).publicKey, v.value.msg)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

// ---- message ids and signatures ----

/** Another value for every signed field; the mapped type asks for a new field here. */
const CHANGED: { [K in keyof UnsignedBroadcast]-?: UnsignedBroadcast[K][] } = {
  net: ['spinoza-test-0124', `${NET} `],
  from: [2, 'alice'],
  nonce: ['0123456789abcdee', '0123456789abcdef00'],
  ts: [T0 + 1, 0],
  body: ['hello, ring!', '', 'Hello, ring'],
};
const changes = Object.entries(CHANGED).flatMap(([field, values]) => values.map((value) => [field, value] as const));

describe('messageId', () => {
  it('is a stable 64-digit hex hash of the signed content', () => {
    expect(ID).toMatch(/^[0-9a-f]{64}$/);
    expect(messageId({ ...unsigned })).toBe(ID);
    expect(messageId(structuredClone(unsigned))).toBe(ID);
  });

  it('does not depend on the signature or the version field', () => {
    expect(messageId(signed)).toBe(ID);
    const resigned: Broadcast = { ...signed, sig: b64(64) };
    expect(messageId(resigned)).toBe(ID);
  });

  it.each(changes)('changes when %s changes (to %j)', (field, value) => {
    expect(messageId({ ...unsigned, [field]: value })).not.toBe(ID);
  });
});

describe('signBroadcast / verifyBroadcast', () => {
  it('signs a broadcast that the schema accepts and the origin key verifies', () => {
    expect(Broadcast.parse(signed)).toEqual(signed);
    expect(signed.v).toBe(PROTOCOL_VERSION);
    expect(verifyBroadcast(nodeKey(1).publicKey, signed)).toBe(true);
    expect(verifyBroadcast(aliceKey.publicKey, fromAlice)).toBe(true);
  });

  it('is false under another key', () => {
    expect(verifyBroadcast(nodeKey(2).publicKey, signed)).toBe(false);
    expect(verifyBroadcast(nodeKey(1).publicKey, fromAlice)).toBe(false);
  });

  it.each(changes)('detects %s tampered (to %j) after signing', (field, value) => {
    expect(verifyBroadcast(nodeKey(1).publicKey, { ...signed, [field]: value })).toBe(false);
  });

  it.each([
    ['another broadcast’s signature', fromAlice.sig],
    ['64 equal bytes', b64(64)],
    ['too short', b64(63)],
    ['not base64', '!!!'],
    ['empty', ''],
  ])('is false, without throwing, for a signature that is %s', (_, sig) => {
    expect(verifyBroadcast(nodeKey(1).publicKey, { ...signed, sig })).toBe(false);
  });
});

describe('signReceipt / verifyReceipt', () => {
  const receipt = signReceipt(nodeKey(2), NET, ID, 2, T0 + 5);
  const otherId = messageId({ ...unsigned, body: 'other' });

  it('round-trips under the node key', () => {
    expect(receipt).toMatchObject({ node: 2, at: T0 + 5 });
    expect(verifyReceipt(nodeKey(2).publicKey, NET, ID, receipt)).toBe(true);
  });

  it.each([
    ['another node key', nodeKey(3).publicKey, NET, ID, receipt],
    ['another network', nodeKey(2).publicKey, 'other-net', ID, receipt],
    ['another message id', nodeKey(2).publicKey, NET, otherId, receipt],
    ['another node id', nodeKey(2).publicKey, NET, ID, { ...receipt, node: 3 }],
    ['another time', nodeKey(2).publicKey, NET, ID, { ...receipt, at: T0 + 6 }],
    ['a broadcast signature', nodeKey(2).publicKey, NET, ID, { ...receipt, sig: signed.sig }],
    ['a truncated signature', nodeKey(2).publicKey, NET, ID, { ...receipt, sig: b64(10) }],
  ] as const)('is false with %s', (_, key, net, id, r) => {
    expect(verifyReceipt(key, net, id, r)).toBe(false);
  });
});

// ---- validateBroadcast ----

const WINDOW = 600_000;
const SKEW = 30_000;
const ctx = (nonces = new SeenSet<string>(1000, WINDOW)): ValidationContext => ({ dir, now: T0, replayWindowMs: WINDOW, maxClockSkewMs: SKEW, nonces });
const bcast = (over: Partial<UnsignedBroadcast>, key: KeyPair = nodeKey(1)): Broadcast =>
  signBroadcast(key, { ...unsigned, ...over });

interface ValidationCase {
  name: string;
  msg: Broadcast;
  /** Nonces already seen: origin:nonce → message id. */
  seen?: [string, string][];
}

type ValidateReason = Extract<RejectReason, 'wrong-network' | 'clock-skew' | 'replay' | 'unknown-sender' | 'not-in-good-standing' | 'bad-signature' | 'equivocation'>;

const INVALID: { [R in ValidateReason]: ValidationCase[] } = {
  'wrong-network': [{ name: 'signed for another testnet', msg: bcast({ net: 'other-testnet' }) }],
  'clock-skew': [
    { name: 'one ms beyond the allowed future skew', msg: bcast({ ts: T0 + SKEW + 1 }) },
    { name: 'an hour in the future', msg: bcast({ ts: T0 + 3_600_000 }) },
  ],
  replay: [
    { name: 'older than the replay window (less the skew)', msg: bcast({ ts: T0 - WINDOW + SKEW - 1 }) },
    { name: 'timestamp 0', msg: bcast({ ts: 0 }) },
  ],
  equivocation: [
    { name: 'nonce reused by the same origin for another message, validly signed', msg: bcast({ body: 'second' }), seen: [[`1:${unsigned.nonce}`, ID]] },
  ],
  'unknown-sender': [
    { name: 'a node id not in the directory', msg: bcast({ from: 99 }, strangerKey) },
    { name: 'an initiator name not in the directory', msg: bcast({ from: 'mallory' }, strangerKey) },
  ],
  'not-in-good-standing': [
    { name: 'a DOWN node', msg: bcast({ from: 4 }, nodeKey(4)) },
    { name: 'a NEW node', msg: bcast({ from: 5 }, nodeKey(5)) },
    { name: 'an UNRELIABLE node', msg: bcast({ from: 6 }, nodeKey(6)) },
    { name: 'a DOWN node, even with a bad signature (cheaper check first)', msg: bcast({ from: 4 }, strangerKey) },
  ],
  'bad-signature': [
    { name: 'node 1 as origin, signed by node 2', msg: bcast({}, nodeKey(2)) },
    { name: 'alice as origin, signed by node 1', msg: bcast({ from: 'alice' }) },
    { name: 'body changed after signing', msg: { ...signed, body: 'changed' } },
    { name: 'a signature of 64 equal bytes', msg: { ...signed, sig: b64(64) } },
    { name: 'a 3-byte signature (no throw)', msg: { ...signed, sig: 'AAAA' } },
    { name: 'a reused nonce with a bad signature: nobody can frame the origin', msg: { ...bcast({ body: 'second' }), body: 'third' }, seen: [[`1:${unsigned.nonce}`, ID]] },
  ],
};

const VALID_BROADCASTS: ValidationCase[] = [
  { name: 'from a member node', msg: signed },
  { name: 'from a trusted initiator', msg: fromAlice },
  { name: 'at the future skew edge', msg: bcast({ ts: T0 + SKEW }) },
  { name: 'at the replay window edge', msg: bcast({ ts: T0 - WINDOW + SKEW }) },
  { name: 'whose nonce was seen for this same message', msg: signed, seen: [[`1:${unsigned.nonce}`, ID]] },
  { name: 'reusing a nonce another origin used', msg: signed, seen: [[`2:${unsigned.nonce}`, 'f'.repeat(64)]] },
];

const run = (c: ValidationCase, seenAt = T0): Verdict<unknown> => {
  const nonces = new SeenSet<string>(1000, WINDOW);
  for (const [k, v] of c.seen ?? []) nonces.add(k, v, seenAt);
  return validateBroadcast(c.msg, messageId(c.msg), ctx(nonces));
};

describe('validateBroadcast', () => {
  it.each(VALID_BROADCASTS.map((c) => [c.name, c] as const))('accepts a broadcast %s', (_, c) => {
    expect(run(c)).toEqual({ ok: true, value: c.msg });
  });

  it('forgets a nonce after the window (the timestamp check guards that range)', () => {
    const c: ValidationCase = { name: 'second message, old nonce', msg: bcast({ body: 'second' }), seen: [[`1:${unsigned.nonce}`, ID]] };
    expect(run(c, T0 - WINDOW).ok).toBe(true);
    expect(run(c, T0 - WINDOW + 1).ok).toBe(false);
  });

  describe.each(Object.entries(INVALID))('rejects as %s', (reason, cases) => {
    it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
      expectReject(run(c), reason as ValidateReason);
    });
  });
});

// ---- handshake ----

type HelloReason = Extract<RejectReason, 'wrong-network' | 'schema' | 'clock-skew' | 'unknown-sender' | 'bad-signature'>;
type WelcomeReason = Extract<RejectReason, 'schema' | 'unknown-sender' | 'bad-signature'>;
const SELF = 2;

const BAD_HELLOS: { [R in HelloReason]: [string, Hello][] } = {
  'wrong-network': [['for another testnet', makeHello(nodeKey(1), 'other-testnet', 1, SELF, T0)]],
  schema: [['addressed to another node', makeHello(nodeKey(1), NET, 1, 3, T0)]],
  'clock-skew': [
    ['one ms too old', makeHello(nodeKey(1), NET, 1, SELF, T0 - SKEW - 1)],
    ['one ms too far ahead', makeHello(nodeKey(1), NET, 1, SELF, T0 + SKEW + 1)],
  ],
  'unknown-sender': [['from a node not in the directory', makeHello(strangerKey, NET, 99, SELF, T0)]],
  'bad-signature': [
    ['from node 1, signed by node 3', makeHello(nodeKey(3), NET, 1, SELF, T0)],
    ['timestamp changed after signing', { ...hello, ts: T0 + 1 }],
    ['nonce changed after signing', { ...hello, nonce: 'f'.repeat(32) }],
    ['sender changed after signing', { ...hello, from: 3 }],
  ],
};

const BAD_WELCOMES: { [R in WelcomeReason]: [string, Welcome, number][] } = {
  schema: [
    ['from a node we did not dial', makeWelcome(nodeKey(3), NET, 3, hello), 2],
    ['addressed to another node', { ...welcome, to: 3 }, 2],
    ['answering another nonce', { ...welcome, nonce: 'f'.repeat(32) }, 2],
  ],
  'unknown-sender': [['from a dialled node not in the directory', makeWelcome(strangerKey, NET, 99, hello), 99]],
  'bad-signature': [
    ['from node 2, signed by node 3', makeWelcome(nodeKey(3), NET, 2, hello), 2],
    ['signed for another testnet', makeWelcome(nodeKey(2), 'other-testnet', 2, hello), 2],
    ['with the hello signature', { ...welcome, sig: hello.sig }, 2],
  ],
};

describe('handshake', () => {
  it('accepts a fresh hello from a directory node, up to the skew on either side', () => {
    for (const ts of [T0, T0 - SKEW, T0 + SKEW]) {
      const h = makeHello(nodeKey(1), NET, 1, SELF, ts);
      expect(checkHello(h, dir, SELF, T0, SKEW)).toEqual({ ok: true, value: h });
    }
  });

  it('gives each hello a fresh 16-byte nonce', () => {
    expect(makeHello(nodeKey(1), NET, 1, SELF, T0).nonce).not.toBe(makeHello(nodeKey(1), NET, 1, SELF, T0).nonce);
    expect(hello.nonce).toMatch(/^[0-9a-f]{32}$/);
  });

  describe.each(Object.entries(BAD_HELLOS))('checkHello rejects as %s', (reason, cases) => {
    it.each(cases)('a hello %s', (_, h) => {
      expectReject(checkHello(h, dir, SELF, T0, SKEW), reason as HelloReason);
    });
  });

  it('accepts the welcome that answers our hello', () => {
    expect(checkWelcome(welcome, dir, 1, 2, hello.nonce)).toEqual({ ok: true, value: welcome });
  });

  describe.each(Object.entries(BAD_WELCOMES))('checkWelcome rejects as %s', (reason, cases) => {
    it.each(cases)('a welcome %s', (_, w, expectedPeer) => {
      expectReject(checkWelcome(w, dir, 1, expectedPeer, hello.nonce), reason as WelcomeReason);
    });
  });
});
