// A joining node's own key: made fresh on first start and kept in the container's file system, so
// a restarted container keeps its identity (and its directory entry).
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { keyPairFromSeed, type KeyPair } from '../crypto/index.js';

/** Reads the 32-byte Ed25519 seed (hex) at `path`, or makes one and writes it there (mode 0600). */
export async function loadOrCreateKey(path: string): Promise<{ key: KeyPair; created: boolean }> {
  try {
    const hex = (await readFile(path, 'utf8')).trim();
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`${path}: not a 32-byte hex key; remove it to make a new identity`);
    return { key: keyPairFromSeed(Buffer.from(hex, 'hex')), created: false };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const seed = randomBytes(32);
  await mkdir(dirname(path), { recursive: true });
  // Write then rename: a crash never leaves a half-written key that would fail the next start.
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, seed.toString('hex') + '\n', { mode: 0o600 });
  await rename(tmp, path);
  return { key: keyPairFromSeed(seed), created: true };
}
