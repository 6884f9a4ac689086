// The testnet manifest: YAML validated by zod, defaults in the schema so an empty file is a valid run.
// CLI flags override fields before validation, so a bad flag is reported like a bad field.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { ProtocolParams, type Behaviour } from '../node/config.js';
import { StrategyName } from '../node/wire/schemas.js';
import { ChaosSection } from './chaos/profile.js';
import { SpinozaError } from './errors.js';
import { ImpairmentSection } from './impair/profiles.js';

const int = (min: number, max: number, what = `an integer from ${min} to ${max}`) =>
  z.number({ error: `expected ${what}` }).int({ error: `expected ${what}` })
    .min(min, { error: `expected ${what}` }).max(max, { error: `expected ${what}` });
const nonNegative = (max = 1_000_000) => int(0, max, 'a non-negative integer');
const ratio = z.number({ error: 'expected a number from 0 to 1' }).min(0, { error: 'expected a number from 0 to 1' })
  .max(1, { error: 'expected a number from 0 to 1' });

export const BACKENDS = ['process', 'docker', 'compose', 'swarm'] as const;
export const BackendName = z.enum(BACKENDS, { error: `expected one of ${BACKENDS.join(', ')}` });
export type BackendName = z.infer<typeof BackendName>;

/**
 * Protocol parameters other than those the manifest's top level owns. Defaults are filled in, so
 * the resolved manifest written to the run's state dir shows every value the nodes run with.
 */
const ManifestParams = ProtocolParams.omit({ strategy: true, treeFanout: true, gossipFanout: true }).strict();

/**
 * How many nodes start with each test-only byzantine behaviour (node/config.ts Behaviour,
 * docs/membership.md#misbehaviour); with `params.membership` on, the other members catch and suspend them.
 */
const Byzantine = z.object({
  /** Takes no relay yet answers probes (withholding). */
  drop: nonNegative().default(0),
  /** Forwards relays with the body altered. */
  corrupt: nonNegative().default(0),
  /** Signs two different broadcasts with one nonce, each to half the members. */
  equivocate: nonNegative().default(0),
  /** Adds a made-up receipt to every report it sends up. */
  'forge-receipt': nonNegative().default(0),
  /** Originates broadcasts of its own far over the origin rate. */
  flood: nonNegative().default(0),
}).strict();
export type ByzantineCounts = z.infer<typeof Byzantine>;
export const ByzantineKind = Byzantine.keyof();
export type ByzantineKind = z.infer<typeof ByzantineKind>;
/** Every kind is one of the node's behaviours (checked by the compiler). */
export const BYZANTINE_KINDS = ByzantineKind.options satisfies readonly Behaviour['kind'][];

/** Byzantine nodes of all kinds together. */
export const byzantineTotal = (b: ByzantineCounts): number => BYZANTINE_KINDS.reduce((sum, k) => sum + b[k], 0);

const Faults = z.object({
  /** Nodes listed in the directory that never answer (the seed's dead instances). */
  dead: nonNegative().default(0),
  /** Live nodes that drop a share of relays and answer the rest late. */
  unreliable: nonNegative().default(0),
  unreliableDropRate: ratio.default(0.2),
  unreliableMaxDelayMs: nonNegative(60_000).default(200),
  /** Started nodes that misbehave, by kind (e.g. `{ corrupt: 1, flood: 1 }`): disjoint from dead and unreliable. */
  byzantine: Byzantine.default(Byzantine.parse({})),
}).strict();

const Workload = z.object({
  /** Broadcasts the demo sends. */
  broadcasts: int(1, 100_000).default(5),
  /** Size of each demo broadcast's body. */
  bodyBytes: int(1, 1 << 20).default(64),
}).strict();

export const Manifest = z.object({
  /** Keys, ids and fault selection derive from this: same seed, same testnet. */
  seed: z.string({ error: 'expected a string' }).min(1, { error: 'expected a non-empty string' }).default('spinoza'),
  nodes: int(1, 100_000).default(16),
  strategy: z.enum(StrategyName.options, { error: `expected one of ${StrategyName.options.join(', ')}` }).default('tree'),
  neighborhoodSize: int(1, 1000).default(15),
  treeFanout: int(1, 64).optional(),
  gossipFanout: int(1, 64).optional(),
  params: ManifestParams.default(ManifestParams.parse({})),
  faults: Faults.default(Faults.parse({})),
  backend: BackendName.default('process'),
  basePort: int(1, 65535).default(7100),
  host: z.string({ error: 'expected a host name or address' }).min(1, { error: 'expected a host name or address' })
    .default('127.0.0.1'),
  workload: Workload.default(Workload.parse({})),
  /** Named impairment profiles for `spinoza shape NAME`, and the one nodes start with (docs/impairment.md). */
  impairment: ImpairmentSection.default({ profiles: {} }),
  /** Named chaos profiles for `spinoza chaos --profile NAME`, besides the built-in ones (docs/chaos.md). */
  chaos: ChaosSection.default({ profiles: {} }),
}).strict().superRefine((m, ctx) => {
  // Cross-field limits: checked once every field has its own valid value.
  if (m.faults.dead >= m.nodes) {
    ctx.addIssue({ code: 'custom', path: ['faults', 'dead'], message: `expected fewer dead nodes than nodes (${m.nodes})` });
  }
  if (m.faults.dead + m.faults.unreliable > m.nodes) {
    ctx.addIssue({ code: 'custom', path: ['faults', 'unreliable'], message: `expected dead + unreliable <= nodes (${m.nodes})` });
  }
  const byzantine = byzantineTotal(m.faults.byzantine);
  if (m.faults.dead + m.faults.unreliable + byzantine > m.nodes) {
    ctx.addIssue({ code: 'custom', path: ['faults', 'byzantine'], message: `expected dead + unreliable + byzantine <= nodes (${m.nodes})` });
  } else if (byzantine > 0 && m.faults.dead + byzantine >= m.nodes) {
    // The client needs one node that is neither: it submits through it and counts on its proof.
    ctx.addIssue({ code: 'custom', path: ['faults', 'byzantine'], message: `expected dead + byzantine < nodes (${m.nodes}): one node must be neither` });
  }
  // A partition naming a node the run will not have is refused here, before anything starts.
  for (const [name, profile] of Object.entries(m.impairment.profiles)) {
    for (const [node, peers] of Object.entries(profile.partition ?? {})) {
      const stranger = [Number(node), ...peers].find((id) => id > m.nodes);
      if (stranger !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['impairment', 'profiles', name, 'partition', node], message: `expected node ids from 1 to ${m.nodes} (node ${stranger} is not in the directory)` });
      }
    }
  }
  if (m.basePort + m.nodes - 1 > 65535) {
    ctx.addIssue({ code: 'custom', path: ['basePort'], message: `expected basePort + nodes - 1 <= 65535 (nodes: ${m.nodes})` });
  }
});
export type Manifest = z.infer<typeof Manifest>;

/** CLI flags that override manifest fields; values are raw (strings from argv are coerced here). */
export interface ManifestOverrides {
  nodes?: string | number;
  strategy?: string;
  seed?: string;
  dead?: string | number;
  unreliable?: string | number;
  backend?: string;
  basePort?: string | number;
  host?: string;
}

/** Where each override lands in the manifest, and the flag to name in errors. */
const OVERRIDE_PATHS: Record<keyof ManifestOverrides, { path: string[]; flag: string; numeric: boolean }> = {
  nodes: { path: ['nodes'], flag: '--nodes', numeric: true },
  strategy: { path: ['strategy'], flag: '--strategy', numeric: false },
  seed: { path: ['seed'], flag: '--seed', numeric: false },
  dead: { path: ['faults', 'dead'], flag: '--dead', numeric: true },
  unreliable: { path: ['faults', 'unreliable'], flag: '--unreliable', numeric: true },
  backend: { path: ['backend'], flag: '--backend', numeric: false },
  basePort: { path: ['basePort'], flag: '--base-port', numeric: true },
  host: { path: ['host'], flag: '--host', numeric: false },
};

/** Numbers from argv: only plain decimal text becomes a number, anything else stays text for the error. */
const coerceNumber = (v: string | number): string | number =>
  typeof v === 'number' || !/^-?\d+(\.\d+)?$/.test(v.trim()) ? v : Number(v);

/**
 * Validates a parsed manifest document with overrides applied.
 * @param source how errors name the document, e.g. `manifest.yaml`
 */
export function resolveManifest(doc: unknown, overrides: ManifestOverrides = {}, source = 'manifest'): Manifest {
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new SpinozaError('manifest-invalid', `${source}: expected a mapping of fields, got ${describe(doc)}`,
      'see README.md#manifest for the fields');
  }
  const input = structuredClone(doc) as Record<string, unknown>;
  const flagAt = new Map<string, string>();
  for (const [key, spec] of Object.entries(OVERRIDE_PATHS) as [keyof ManifestOverrides, (typeof OVERRIDE_PATHS)[keyof ManifestOverrides]][]) {
    const value = overrides[key];
    if (value === undefined) continue;
    setPath(input, spec.path, spec.numeric ? coerceNumber(value) : value);
    flagAt.set(spec.path.join('.'), spec.flag);
  }
  const parsed = Manifest.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.map(String).join('.');
  const flag = flagAt.get(path);
  const where = flag ?? `${source}: ${path || '(top level)'}`;
  throw new SpinozaError('manifest-invalid', `${where}: ${describeIssue(issue, getPath(input, issue.path))}`,
    flag ? `run \`spinoza up --help\` for the accepted values` : `fix the field in ${source} (see README.md#manifest)`);
}

/** Reads and validates a manifest file; no file means the defaults. */
export async function loadManifest(file: string | undefined, overrides: ManifestOverrides = {}): Promise<Manifest> {
  if (file === undefined) return resolveManifest({}, overrides, 'defaults');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new SpinozaError('manifest-not-found', `cannot read manifest ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      'check the --manifest path', { cause: e });
  }
  return resolveManifest(parseManifestYaml(text, basename(file)), overrides, basename(file));
}

export function parseManifestYaml(text: string, source = 'manifest'): unknown {
  try {
    return parseYaml(text) as unknown;
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? `:${e.linePos[0].line}:${e.linePos[0].col}` : '';
    const first = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw new SpinozaError('manifest-invalid', `${source}${where}: not valid YAML: ${first}`, 'fix the YAML syntax', { cause: e });
  }
}

/** The resolved manifest as YAML, written into the run's state dir. */
export const manifestToYaml = (m: Manifest): string => stringifyYaml(m);

function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  // Our own messages already read "expected ..."; zod's generic ones get the same shape.
  const expected = issue.message.startsWith('expected') ? issue.message : genericExpectation(issue);
  return `${expected}, got ${describe(value)}`;
}

function genericExpectation(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type': return `expected ${issue.expected === 'int' ? 'an integer' : issue.expected === 'object' ? 'a mapping' : `a ${issue.expected}`}`;
    case 'too_small': return `expected a value ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`;
    case 'too_big': return `expected a value ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`;
    case 'invalid_value': return `expected one of ${issue.values.map(String).join(', ')}`;
    default: return issue.message;
  }
}

const describe = (v: unknown): string => (v === undefined ? 'nothing' : Array.isArray(v) ? 'a list' : JSON.stringify(v));

function getPath(obj: unknown, path: readonly PropertyKey[]): unknown {
  let cur = obj;
  for (const k of path) cur = cur !== null && typeof cur === 'object' ? (cur as Record<PropertyKey, unknown>)[k] : undefined;
  return cur;
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const k of path.slice(0, -1)) {
    const next = cur[k];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[path[path.length - 1]!] = value;
}
