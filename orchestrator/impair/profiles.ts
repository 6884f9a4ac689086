// The manifest's `impairment` section: named profiles for `spinoza shape NAME`, and the one every
// node starts with. The manifest schema includes `ImpairmentSection`; node ids in partitions are
// checked against the run's directory when a profile is applied (parseProfile).
import { z } from 'zod';
import { ImpairmentProfile, parseProfile, type ImpairmentProfileInput } from '../../node/impairment/profile.js';
import { SpinozaError } from '../errors.js';
import type { Manifest } from '../manifest.js';

export const ProfileName = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, { error: 'expected a profile name (lower-case letters, digits, _ or -)' });

export const ImpairmentSection = z.object({
  /** Named profiles, e.g. `wan: { latencyMs: 50, jitterMs: 5, loss: 0.01 }`. */
  profiles: z.record(ProfileName, ImpairmentProfile).default({}),
  /** Name of the profile in effect from `up` on; omitted: none. */
  initial: ProfileName.optional(),
}).strict().superRefine((s, ctx) => {
  if (s.initial !== undefined && !(s.initial in s.profiles)) {
    ctx.addIssue({ code: 'custom', path: ['initial'], message: `expected one of the profiles (${Object.keys(s.profiles).join(', ') || 'none defined'})` });
  }
});
export type ImpairmentSection = z.infer<typeof ImpairmentSection>;

/** A named profile with flag overrides applied, validated against the run's node ids. */
export function resolveProfile(section: ImpairmentSection | undefined, name: string, overrides: ImpairmentProfileInput,
  nodeIds: ReadonlySet<number>, defaultSeed: string): ImpairmentProfile {
  const named = section?.profiles[name];
  if (!named) {
    const known = Object.keys(section?.profiles ?? {});
    throw new SpinozaError('profile-invalid', `no impairment profile "${name}" in the run's manifest`,
      known.length > 0 ? `known profiles: ${known.join(', ')}` : 'define it under impairment.profiles in the manifest, or use --latency/--loss flags');
  }
  return checkedProfile({ ...named, ...overrides }, nodeIds, defaultSeed, `profile "${name}"`);
}

/** Validates a profile for a run (before anything changes); the seed defaults to the manifest's. */
export function checkedProfile(input: ImpairmentProfileInput, nodeIds: ReadonlySet<number>, defaultSeed: string, what = 'profile'): ImpairmentProfile {
  const check = parseProfile({ seed: defaultSeed, ...input }, nodeIds);
  if (!check.ok) throw new SpinozaError('profile-invalid', `${what}: ${check.message}`, 'fix that field; nothing was changed');
  return check.value;
}

/** The manifest's `impairment.initial` profile as every node starts with it (seeded by the manifest), or undefined. */
export function initialProfile(m: Pick<Manifest, 'impairment' | 'seed' | 'nodes'>): ImpairmentProfile | undefined {
  const name = m.impairment.initial;
  if (name === undefined) return undefined;
  const ids = new Set(Array.from({ length: m.nodes }, (_, i) => i + 1));
  return resolveProfile(m.impairment, name, {}, ids, m.seed);
}
