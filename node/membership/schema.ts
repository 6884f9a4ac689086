// Shapes of the registration protocol (docs/compose.md#registration): requests, answers, the
// authority-signed directory, the registrar's health body and its NDJSON events.
import { z } from 'zod';
import { DirectoryData } from '../directory/schema.js';
import { NodeId, PROTOCOL_VERSION, PublicKey, Signature } from '../wire/schemas.js';

/** Why a registration is refused: one closed union, used in answers, metrics and events. */
export const REGISTER_REFUSALS = [
  'malformed', // not JSON, or JSON of the wrong shape
  'wrong-network', // for another testnet
  'missing-credential', // no admission credential
  'bad-credential', // a credential not made with the admission secret for this very request
  'clock-skew', // timestamp too far from the registrar's clock
  'replay', // a nonce already used
  'bad-proof', // the proof of possession is not the key's signature over the request
  'key-reused', // the key is registered already
  'address-in-use', // another node is registered at this host:port
  'directory-full', // the registrar's bound on nodes is reached
] as const;
export type RegisterRefusal = (typeof REGISTER_REFUSALS)[number];

/** Host as seen on the testnet network: an IP address or a DNS name, nothing else. */
export const Host = z.string().min(1).max(253).regex(/^[A-Za-z0-9.:-]+$/);
export const Nonce = z.string().regex(/^[0-9a-f]{32}$/);
/** HMAC-SHA256, base64. */
export const Credential = z.string().regex(/^[A-Za-z0-9+/]{43}=$/);

/** POST /register. `proof` is the key's signature over registerBytes; `credential` an HMAC over the same. */
export const RegisterRequest = z.object({
  v: z.literal(PROTOCOL_VERSION),
  network: z.string().min(1).max(64),
  publicKey: PublicKey,
  host: Host,
  port: z.number().int().min(1).max(65535),
  ts: z.number().int().nonnegative(),
  nonce: Nonce,
  proof: Signature,
  /** Optional in the shape so that its absence gets its own reason, not `malformed`. */
  credential: Credential.optional(),
});
export type RegisterRequest = z.infer<typeof RegisterRequest>;

/** A directory snapshot as the authority hands it out: anyone holding its key can check it. */
export const SignedDirectory = z.object({
  directory: DirectoryData,
  /** Directory.hash of `directory`; the signature covers (network, epoch, hash). */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  authority: PublicKey,
  sig: Signature,
});
export type SignedDirectory = z.infer<typeof SignedDirectory>;

export const RegisterAccepted = z.object({ id: NodeId, directory: SignedDirectory });
export type RegisterAccepted = z.infer<typeof RegisterAccepted>;

export const RegisterRefused = z.object({ error: z.enum(REGISTER_REFUSALS), detail: z.string() });
export type RegisterRefused = z.infer<typeof RegisterRefused>;

/** GET /health of the registrar. */
export const RegistrarHealth = z.object({
  ok: z.literal(true),
  role: z.literal('registrar'),
  network: z.string(),
  epoch: z.number().int().nonnegative(),
  /** Registered nodes. */
  nodes: z.number().int().nonnegative(),
  authority: PublicKey,
});
export type RegistrarHealth = z.infer<typeof RegistrarHealth>;

const base = { t: z.number() };
export const RegistrarEvent = z.discriminatedUnion('ev', [
  z.object({ ...base, ev: z.literal('started'), port: z.number().int(), network: z.string(), epoch: z.number().int(), nodes: z.number().int() }),
  z.object({ ...base, ev: z.literal('registered'), id: NodeId, host: z.string(), port: z.number().int(), publicKey: z.string(), epoch: z.number().int() }),
  z.object({ ...base, ev: z.literal('refused'), reason: z.enum(REGISTER_REFUSALS), detail: z.string(), peer: z.string() }),
  z.object({ ...base, ev: z.literal('stopped') }),
]);
export type RegistrarEvent = z.infer<typeof RegistrarEvent>;
export type RegistrarEventBody = RegistrarEvent extends infer E ? (E extends RegistrarEvent ? Omit<E, 't'> : never) : never;
