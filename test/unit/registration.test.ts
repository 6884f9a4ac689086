// Registration (compose identity, docs/compose.md): the registrar's checks as pure functions of
// request and time. Every refusal reason has a row; the compiler rejects a missing one.
import { describe, expect, it } from 'vitest';
import { deriveKeyPair, type KeyPair } from '../../node/crypto/index.js';
import {
  admissionKey, authorityKey, buildRegisterRequest, clientKey, DEFAULT_REGISTRY_OPTIONS, networkId, openSignedDirectory,
  Registry, SignedDirectory, signDirectory, type RegisterRefusal, type RegisterRequest, type RegistryOptions,
} from '../../node/membership/index.js';

const SEED = 'unit-registration';
const NET = networkId(SEED, 'run-1');
const ADMISSION = admissionKey('compose-admission-secret');
const T0 = 1_750_000_000_000;
const key = (i: number): KeyPair => deriveKeyPair(SEED, 'joiner', i);
const nonce = (i: number): string => i.toString(16).padStart(32, '0');

const registry = (o: Partial<RegistryOptions> = {}): Registry => new Registry(
  { network: NET, admissionKey: ADMISSION, initiators: [{ name: 'client', publicKey: clientKey(SEED).publicKey.toString('base64') }] },
  { ...DEFAULT_REGISTRY_OPTIONS, ...o },
);

type RequestInput = Parameters<typeof buildRegisterRequest>[0];
/** The inputs of a good request from joiner `i` at 10.213.0.(10+i):7000. */
const good = (i: number): RequestInput =>
  ({ key: key(i), network: NET, host: `10.213.0.${10 + i}`, port: 7000, admissionKey: ADMISSION, ts: T0, nonce: nonce(i) });
const request = (i: number, over: Partial<RequestInput> = {}): RegisterRequest => buildRegisterRequest({ ...good(i), ...over });

describe('a good request', () => {
  it('gets the next id and moves the epoch on by one', () => {
    const r = registry();
    expect(r.epoch).toBe(0);
    expect(r.snapshot()).toBeUndefined();
    expect(r.register(request(1), T0)).toEqual({ ok: true, id: 1, epoch: 1 });
    expect(r.register(request(2), T0 + 5)).toEqual({ ok: true, id: 2, epoch: 2 });
    const dir = r.snapshot()!;
    expect(dir.epoch).toBe(2);
    expect(dir.nodes.map((n) => [n.id, n.host, n.port, n.status])).toEqual([[1, '10.213.0.11', 7000, 'UP'], [2, '10.213.0.12', 7000, 'UP']]);
    expect(dir.nodes[0]!.publicKey).toBe(key(1).publicKey.toString('base64'));
    expect(dir.initiators).toEqual([{ name: 'client', publicKey: clientKey(SEED).publicKey.toString('base64') }]);
  });

  it('is accepted within the clock skew on both sides', () => {
    const r = registry();
    expect(r.register(request(1, { ts: T0 - 30_000 }), T0).ok).toBe(true);
    expect(r.register(request(2, { ts: T0 + 30_000 }), T0).ok).toBe(true);
  });
});

/** Each refusal: a registry state (what happened before) and the request that is refused. */
type Case = { setup?: (r: Registry) => void; options?: Partial<RegistryOptions>; input: () => unknown; now?: number };
const CASES: Record<RegisterRefusal, Case> = {
  malformed: { input: () => ({ ...request(1), publicKey: 'not base64!' }) },
  'wrong-network': { input: () => request(1, { network: networkId(SEED, 'another-run') }) },
  'missing-credential': { input: () => { const { admissionKey: _, ...noKey } = good(1); return buildRegisterRequest(noKey); } },
  'bad-credential': { input: () => request(1, { admissionKey: admissionKey('a guessed secret') }) },
  'clock-skew': { input: () => request(1), now: T0 + 30_001 },
  replay: { setup: (r) => void r.register(request(1), T0), input: () => request(1) },
  'bad-proof': { input: () => ({ ...request(1), proof: request(2).proof }) },
  'key-reused': {
    setup: (r) => void r.register(request(1), T0),
    input: () => request(1, { host: '10.213.0.99', nonce: nonce(99) }),
  },
  'address-in-use': { setup: (r) => void r.register(request(1), T0), input: () => request(2, { host: '10.213.0.11' }) },
  'directory-full': { options: { maxNodes: 1 }, setup: (r) => void r.register(request(1), T0), input: () => request(2) },
};

describe('refusals', () => {
  for (const [reason, c] of Object.entries(CASES) as [RegisterRefusal, Case][]) {
    it(`${reason}: refused with that reason, and the directory is unchanged`, () => {
      const r = registry(c.options);
      c.setup?.(r);
      const before = JSON.stringify(r.snapshot());
      const v = r.register(c.input(), c.now ?? T0);
      expect(v.ok).toBe(false);
      if (!v.ok) {
        expect(v.reason).toBe(reason);
        expect(v.detail.length).toBeGreaterThan(0);
      }
      expect(JSON.stringify(r.snapshot())).toBe(before);
    });
  }

  it('a credential is bound to its request: lifted onto another key or address it is forged', () => {
    const r = registry();
    const stolen = request(1).credential!;
    expect(r.check({ ...request(2), credential: stolen }, T0)).toMatchObject({ ok: false, reason: 'bad-credential' });
    const moved = request(1, { host: '10.213.0.200' });
    expect(r.check({ ...moved, credential: stolen }, T0)).toMatchObject({ ok: false, reason: 'bad-credential' });
  });

  it('a forged or unsigned request does not spend its nonce; an authentic one does even when refused', () => {
    const r = registry();
    expect(r.register(request(1, { admissionKey: admissionKey('wrong') }), T0)).toMatchObject({ reason: 'bad-credential' });
    expect(r.register(request(1), T0)).toMatchObject({ ok: true, id: 1 });
    expect(r.register(request(2, { host: '10.213.0.11' }), T0)).toMatchObject({ reason: 'address-in-use' });
    expect(r.register(request(2, { host: '10.213.0.11' }), T0)).toMatchObject({ reason: 'replay' });
  });

  it('a nonce is remembered for the whole window in which its request is fresh', () => {
    const r = registry();
    r.register(request(1), T0);
    expect(r.check(request(1), T0 + 30_000)).toMatchObject({ reason: 'replay' });
    expect(r.check(request(1), T0 + 30_001)).toMatchObject({ reason: 'clock-skew' });
  });
});

describe('signed directories', () => {
  const authority = authorityKey(SEED);
  const filled = (): Registry => {
    const r = registry();
    for (let i = 1; i <= 5; i++) r.register(request(i), T0);
    return r;
  };

  it('survive JSON and the schema: the receiver computes the same hash and the signature checks', () => {
    const signed = signDirectory(authority, filled().snapshot()!);
    const received = SignedDirectory.parse(JSON.parse(JSON.stringify(signed)));
    const check = openSignedDirectory(received, authority.publicKey.toString('base64'));
    expect(check.ok).toBe(true);
    if (check.ok) expect(check.directory.members).toEqual([1, 2, 3, 4, 5]);
  });

  it('a changed entry, another signer or another epoch fails', () => {
    const signed = signDirectory(authority, filled().snapshot()!);
    const pin = authority.publicKey.toString('base64');
    const moved = structuredClone(signed);
    moved.directory.nodes[2]!.host = '10.213.9.9';
    expect(openSignedDirectory(moved, pin)).toMatchObject({ ok: false });
    const rehashed = { ...moved, hash: signDirectory(authority, moved.directory).hash };
    expect(openSignedDirectory(rehashed, pin)).toMatchObject({ ok: false, problem: 'bad authority signature' });
    const impostor = signDirectory(deriveKeyPair(SEED, 'impostor', 0), filled().snapshot()!);
    expect(openSignedDirectory(impostor, pin)).toMatchObject({ ok: false });
    expect(openSignedDirectory({ ...impostor, authority: pin }, pin)).toMatchObject({ ok: false, problem: 'bad authority signature' });
  });

  it('a registry restored from a saved directory continues its ids and epochs', () => {
    const saved = filled().snapshot()!;
    const r = registry();
    r.restore(saved);
    expect(r.register(request(1, { nonce: nonce(77) }), T0)).toMatchObject({ reason: 'key-reused' });
    expect(r.register(request(6), T0)).toEqual({ ok: true, id: 6, epoch: 6 });
  });
});
