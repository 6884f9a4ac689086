// A small seeded PRNG (sfc32) for the shaper's loss and jitter draws: fast, and the same seed gives
// the same draws, so a run's impairment replays exactly (STYLE.md §7).
import { sha256 } from '../crypto/index.js';

/** Uniform draws in [0, 1) from a string seed. */
export function seededRandom(seed: string): () => number {
  const h = sha256('spinoza/prng/v1\0', seed);
  let a = h.readUInt32BE(0), b = h.readUInt32BE(4), c = h.readUInt32BE(8), d = h.readUInt32BE(12);
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}
