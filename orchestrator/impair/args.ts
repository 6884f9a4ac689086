// `spinoza shape PROFILE | --latency 50ms --jitter 5ms --loss 1% --bandwidth 10mbit | --clear`:
// flags and their units (as tc writes them) parsed into a request; nonsense is a clear error.
import type { ImpairmentProfileInput } from '../../node/impairment/profile.js';
import type { OptionSpec } from '../cli/spec.js';
import { SpinozaError } from '../errors.js';

/** The `shape` command's flags, for the CLI spec. */
export const SHAPE_OPTIONS: Record<string, OptionSpec> = {
  latency: { type: 'string', arg: 'D', help: 'one-way delay per frame, e.g. 50ms (units: us, ms, s)' },
  jitter: { type: 'string', arg: 'D', help: 'uniform spread around the delay, e.g. 5ms' },
  loss: { type: 'string', arg: 'P', help: 'frames dropped per direction, e.g. 1% (message-level: nothing retransmits)' },
  bandwidth: { type: 'string', arg: 'R', help: 'rate per directed link, e.g. 10mbit (tc units: bit kbit mbit gbit; bps kbps mbps gbps are BYTES/s)' },
  clear: { type: 'boolean', help: 'remove every impairment' },
  pairs: { type: 'string', arg: 'N', help: 'node pairs the probe samples (default 8)' },
  count: { type: 'string', arg: 'N', help: 'pings per pair (default 40)' },
  json: { type: 'boolean', help: 'print one JSON object instead of text' },
};

export type ShapeRequest =
  | { kind: 'clear' }
  /** A profile from the manifest's `impairment.profiles`, with flags overriding its fields. */
  | { kind: 'named'; name: string; overrides: ImpairmentProfileInput }
  | { kind: 'inline'; profile: ImpairmentProfileInput };

export interface ShapeArgs {
  request: ShapeRequest;
  probe: { pairs?: number; count?: number };
}

type Values = Record<string, string | boolean | undefined>;

const bad = (flag: string, message: string): SpinozaError =>
  new SpinozaError('profile-invalid', `${flag}: ${message}`, 'see `spinoza shape --help` for the accepted values');

export function parseShapeArgs(positionals: readonly string[], values: Values): ShapeArgs {
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? values[k] : undefined);
  const overrides: ImpairmentProfileInput = {};
  const latency = str('latency');
  const jitter = str('jitter');
  const loss = str('loss');
  const bandwidth = str('bandwidth');
  if (latency !== undefined) overrides.latencyMs = parseDuration(latency, '--latency');
  if (jitter !== undefined) overrides.jitterMs = parseDuration(jitter, '--jitter');
  if (loss !== undefined) overrides.loss = parsePercent(loss, '--loss');
  if (bandwidth !== undefined) overrides.bandwidth = parseRate(bandwidth, '--bandwidth');
  const pairs = str('pairs');
  const count = str('count');
  const probe = {
    ...(pairs !== undefined && { pairs: parseCount(pairs, '--pairs', 1, 10_000) }),
    ...(count !== undefined && { count: parseCount(count, '--count', 1, 10_000) }),
  };
  const flags = Object.keys(overrides).length > 0;
  if (positionals.length > 1) throw new SpinozaError('usage', `expected one profile name, got ${positionals.length}: ${positionals.join(' ')}`, 'run `spinoza shape --help`');
  if (values.clear === true) {
    if (flags || positionals.length > 0) throw new SpinozaError('usage', '--clear takes no profile and no other impairment flag', 'run `spinoza shape --clear` alone');
    return { request: { kind: 'clear' }, probe };
  }
  const name = positionals[0];
  if (name !== undefined) return { request: { kind: 'named', name, overrides }, probe };
  if (!flags) {
    throw new SpinozaError('usage', 'nothing to apply', 'name a profile from the manifest, give --latency/--jitter/--loss/--bandwidth, or --clear');
  }
  return { request: { kind: 'inline', profile: overrides }, probe };
}

const NUMBER = String.raw`(\d+(?:\.\d+)?|\.\d+)`;
const DURATION = new RegExp(`^${NUMBER}(us|ms|s)$`);
const PERCENT = new RegExp(`^${NUMBER}%$`);
const RATE = new RegExp(`^${NUMBER}(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)$`);
const DURATION_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000 };
/** Bytes per second per unit, as tc reads them: `bit` units are bits, `bps` units are bytes. */
const RATE_BYTES: Record<string, number> = { bit: 1 / 8, kbit: 125, mbit: 125e3, gbit: 125e6, bps: 1, kbps: 1e3, mbps: 1e6, gbps: 1e9 };

/** `50ms`, `1.5s`, `800us` → milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const t = text.trim().toLowerCase();
  if (t.startsWith('-')) throw bad(flag, `a duration cannot be negative, got "${text}"`);
  const m = DURATION.exec(t);
  if (!m) throw bad(flag, `expected a duration with a unit like 50ms, 1s or 800us, got "${text}"`);
  return Number(m[1]) * DURATION_MS[m[2]!]!;
}

/** `1%`, `0.5%` → a probability. */
export function parsePercent(text: string, flag: string): number {
  const t = text.trim();
  if (t.startsWith('-')) throw bad(flag, `a loss rate cannot be negative, got "${text}"`);
  const m = PERCENT.exec(t);
  if (!m) throw bad(flag, `expected a percentage like 1% or 0.5%, got "${text}"`);
  const p = Number(m[1]) / 100;
  if (p > 1) throw bad(flag, `a loss rate cannot exceed 100%, got "${text}"`);
  return p;
}

/** `10mbit`, `512kbit`, `1mbps` (bytes) → bytes per second. */
export function parseRate(text: string, flag: string): number {
  const t = text.trim().toLowerCase();
  if (t.startsWith('-')) throw bad(flag, `a rate cannot be negative, got "${text}"`);
  const m = RATE.exec(t);
  if (!m) throw bad(flag, `expected a rate like 10mbit, 512kbit or 1mbps, got "${text}"`);
  const rate = Number(m[1]) * RATE_BYTES[m[2]!]!;
  if (!(rate > 0)) throw bad(flag, `a rate must be above zero, got "${text}"`);
  return rate;
}

function parseCount(text: string, flag: string, min: number, max: number): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) throw new SpinozaError('usage', `${flag}: expected an integer from ${min} to ${max}, got "${text}"`, 'run `spinoza shape --help`');
  return n;
}
