// What the testnet authority derives from the run seed: the network id, its own key, and the
// trusted client's key. Shared by the orchestrator's genesis and the compose registrar.
import { createHmac } from 'node:crypto';
import { deriveKeyPair, sha256, type KeyPair } from '../crypto/index.js';

/** The trusted client's name in the directory (DESIGN.md §3: a trusted initiator, not a node). */
export const CLIENT_NAME = 'client';

/** Network id: derived from seed and run id, so two testnets from one seed never cross-talk. */
export const networkId = (seed: string, runId: string): string =>
  `spz-${sha256('spinoza/network/v1\0', seed, '\0', runId).toString('hex').slice(0, 40)}`;

export const clientKey = (seed: string): KeyPair => deriveKeyPair(seed, 'client', 0);

/** The testnet authority (the compose registrar): signs the directories it hands out. */
export const authorityKey = (seed: string): KeyPair => deriveKeyPair(seed, 'authority', 0);

/**
 * The HMAC key admission credentials are made with, from the admission secret the compose setup
 * gives the registrar and every node (docs/compose.md#trust). Hashing it first keeps the secret
 * itself out of every MAC computation and gives a fixed 32-byte key for any secret length.
 */
export const admissionKey = (secret: string): Buffer =>
  createHmac('sha256', 'spinoza/admission/v1').update(secret, 'utf8').digest();
