// Chaos profiles: how much of which fault a chaos session injects (docs/chaos.md#profiles). Built-in
// profiles cover the usual cases; the manifest's `chaos.profiles` adds more or replaces one by name.
// A manifest profile is read on its own (omitted fields take the schema defaults: no such fault).
import { z } from 'zod';
import { SpinozaError } from '../errors.js';
import { ProfileName } from '../impair/profiles.js';

const SHARE = 'expected a share from 0 to 1';
const share = z.number({ error: SHARE }).min(0, { error: SHARE }).max(1, { error: SHARE });
const count = z.number({ error: 'expected an integer from 0 to 64' }).int({ error: 'expected an integer from 0 to 64' })
  .min(0, { error: 'expected an integer from 0 to 64' }).max(64, { error: 'expected an integer from 0 to 64' });
const MS = 'expected milliseconds from 1 to 3600000';
const ms = z.number({ error: MS }).int({ error: MS }).min(1, { error: MS }).max(3_600_000, { error: MS });
/** `[min, max]` milliseconds; each fault's length is drawn uniformly from it. */
const Range = z.tuple([ms, ms], { error: 'expected [min, max] in milliseconds' })
  .refine(([a, b]) => a <= b, { error: 'expected [min, max] with min <= max' });

export const ChaosProfile = z.object({
  /** Share of the started nodes killed (SIGKILL, container kill) once each, then started again. */
  kill: share.default(0),
  /** Share paused (SIGSTOP, container pause) once each, then resumed. */
  pause: share.default(0),
  /** Never more than this share of the nodes killed or paused at once (at least one). */
  maxDown: share.default(0.1),
  /** How long a killed or paused node stays down. */
  downMs: Range.default([2000, 6000]),
  /** Partitions, one after another: each cuts `partitionShare` of the nodes off the rest. */
  partitions: count.default(0),
  partitionShare: z.number({ error: 'expected a share above 0 and at most 0.5' })
    .gt(0, { error: 'expected a share above 0 and at most 0.5' }).max(0.5, { error: 'expected a share above 0 and at most 0.5' }).default(0.25),
  /** Probability that a partition is one-way (the cut side goes deaf, or mute) instead of both ways. */
  asymmetric: share.default(0),
  partitionMs: Range.default([3000, 8000]),
  /** Loss on every node's outgoing frames for the whole fault phase. */
  loss: share.default(0),
  /** Bursts of `burstLoss` on the outgoing frames of `burstShare` of the nodes, one after another. */
  lossBursts: count.default(0),
  burstLoss: share.default(0.2),
  burstShare: share.default(0.25),
  burstMs: Range.default([1000, 3000]),
  /** The last share of the session: every fault has ended, the workload goes on, repair catches up. */
  healShare: z.number({ error: 'expected a share from 0.05 to 0.9' }).min(0.05, { error: 'expected a share from 0.05 to 0.9' })
    .max(0.9, { error: 'expected a share from 0.05 to 0.9' }).default(0.2),
}).strict();
export type ChaosProfile = z.infer<typeof ChaosProfile>;
export type ChaosProfileInput = z.input<typeof ChaosProfile>;

/** Built-in profiles, by name. `default` is the acceptance scenario of DESIGN.md §5. */
export const BUILTIN_CHAOS_PROFILES: Readonly<Record<string, ChaosProfile>> = Object.freeze({
  /** 10% of the nodes killed and restarted, 1% loss, one partition that heals. */
  default: ChaosProfile.parse({ kill: 0.1, loss: 0.01, partitions: 1 }),
  /** Crashes and stalls only: kills and pauses, up to 20% of the nodes down at once. */
  crash: ChaosProfile.parse({ kill: 0.2, pause: 0.1, maxDown: 0.2 }),
  /** Network splits only: three partitions, half of them one-way. */
  split: ChaosProfile.parse({ partitions: 3, asymmetric: 0.5 }),
  /** Everything at once. */
  mixed: ChaosProfile.parse({ kill: 0.1, pause: 0.05, maxDown: 0.15, partitions: 2, asymmetric: 0.5, loss: 0.01, lossBursts: 2 }),
  /** No fault: the workload alone, a baseline to compare the others with. */
  calm: ChaosProfile.parse({}),
});

/** The manifest's `chaos` section. */
export const ChaosSection = z.object({
  profiles: z.record(ProfileName, ChaosProfile).default({}),
}).strict();
export type ChaosSection = z.infer<typeof ChaosSection>;

/** A profile by name: the manifest's first, then the built-ins; an unknown name is a clear error. */
export function resolveChaosProfile(section: ChaosSection | undefined, name: string): ChaosProfile {
  const found = section?.profiles[name] ?? (Object.hasOwn(BUILTIN_CHAOS_PROFILES, name) ? BUILTIN_CHAOS_PROFILES[name] : undefined);
  if (found) return found;
  const known = [...new Set([...Object.keys(section?.profiles ?? {}), ...Object.keys(BUILTIN_CHAOS_PROFILES)])];
  throw new SpinozaError('chaos-invalid', `--profile: no chaos profile "${name}"`,
    `known profiles: ${known.join(', ')}; define more under chaos.profiles in the manifest`);
}
