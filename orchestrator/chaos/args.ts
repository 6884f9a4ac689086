// `spinoza chaos [--seed S] [--duration 60s] [--profile NAME] ...`: flags parsed into a request before
// anything changes; nonsense (a zero or negative duration, a unit-less number) is a clear error.
import type { OptionSpec } from '../cli/spec.js';
import { SpinozaError } from '../errors.js';

/** The `chaos` command's flags, for the CLI spec. */
export const CHAOS_OPTIONS: Record<string, OptionSpec> = {
  seed: { type: 'string', arg: 'S', help: "seeds the fault schedule (default: the manifest's seed); same seed + manifest, same schedule" },
  duration: { type: 'string', arg: 'D', help: 'length of the session, e.g. 60s or 2m (default 60s); every fault ends before its heal phase (the last 20%)' },
  profile: { type: 'string', arg: 'NAME', help: 'chaos profile: built-in default, crash, split, mixed, calm, or the manifest\'s chaos.profiles (default: default)' },
  via: { type: 'string', arg: 'NODE_ID', help: 'entry node of the workload, never faulted (default: the first live, reliable node)' },
  interval: { type: 'string', arg: 'D', help: 'between workload broadcasts (default 200ms)' },
  settle: { type: 'string', arg: 'D', help: 'after the heal, how long every live node has to catch up on every broadcast (default 60s)' },
  'dry-run': { type: 'boolean', help: 'print the fault schedule and change nothing' },
  json: { type: 'boolean', help: 'print one JSON object instead of text' },
};

export interface ChaosArgs {
  seed?: string;
  durationMs: number;
  profile: string;
  via?: number;
  intervalMs: number;
  settleMs: number;
  dryRun: boolean;
}

type Values = Record<string, string | boolean | undefined>;

const bad = (flag: string, message: string): SpinozaError =>
  new SpinozaError('chaos-invalid', `${flag}: ${message}`, 'see `spinoza chaos --help` for the accepted values');

export function parseChaosArgs(values: Values): ChaosArgs {
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? values[k] : undefined);
  const seed = str('seed');
  if (seed !== undefined && seed.trim() === '') throw bad('--seed', 'expected a non-empty string');
  const via = str('via');
  const duration = str('duration');
  const interval = str('interval');
  const settle = str('settle');
  return {
    ...(seed !== undefined && { seed }),
    durationMs: duration === undefined ? 60_000 : parseSpan(duration, '--duration', 1, 86_400_000),
    profile: str('profile') ?? 'default',
    ...(via !== undefined && { via: parseNodeId(via) }),
    intervalMs: interval === undefined ? 200 : parseSpan(interval, '--interval', 10, 60_000),
    settleMs: settle === undefined ? 60_000 : parseSpan(settle, '--settle', 0, 3_600_000),
    dryRun: values['dry-run'] === true,
  };
}

const SPAN = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

/** `60s`, `1.5m`, `500ms` → whole milliseconds within [min, max]. */
export function parseSpan(text: string, flag: string, min: number, max: number): number {
  const t = text.trim().toLowerCase();
  if (t.startsWith('-')) throw bad(flag, `a duration cannot be negative, got "${text}"`);
  const m = SPAN.exec(t);
  if (!m) throw bad(flag, `expected a duration with a unit like 60s, 2m or 500ms, got "${text}"`);
  const ms = Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
  if (ms < min) throw bad(flag, min === 1 ? `a duration must be above 0, got "${text}"` : `expected at least ${min} ms, got "${text}"`);
  if (ms > max) throw bad(flag, `expected at most ${max} ms, got "${text}"`);
  return ms;
}

function parseNodeId(text: string): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw bad('--via', `expected a node id (a positive integer), got "${text}"`);
  return n;
}
