// The CLI's commands and flags, declared once: parsing and --help are both generated from here,
// so the help text cannot drift from what the code accepts.
import { CHAOS_OPTIONS } from '../chaos/args.js';
import { SHAPE_OPTIONS } from '../impair/args.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder shown in help, e.g. `N`. */
  arg?: string;
  help: string;
}

export type CommandName = 'up' | 'status' | 'join' | 'broadcast' | 'verify' | 'report' | 'logs' | 'down' | 'demo' | 'shape' | 'chaos';

export interface CommandSpec {
  name: CommandName;
  /** Positional arguments as shown in help, e.g. `TEXT`; `[NAME]` is optional. */
  args: string[];
  summary: string;
  options: Record<string, OptionSpec>;
  /** Extra help lines. */
  notes?: string[];
}

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  'state-dir': { type: 'string', arg: 'DIR', help: 'state home holding runs/ and `current` (default: $SPINOZA_HOME, else ./.spinoza)' },
  debug: { type: 'boolean', help: 'print stack traces with errors' },
  help: { type: 'boolean', short: 'h', help: 'show help' },
};

/** Flags that override manifest fields (`up`, `demo`). */
const MANIFEST_OPTIONS: Record<string, OptionSpec> = {
  manifest: { type: 'string', arg: 'FILE', help: 'YAML manifest (default: built-in defaults, 16 nodes)' },
  nodes: { type: 'string', arg: 'N', help: 'number of nodes (manifest: nodes)' },
  strategy: { type: 'string', arg: 'S', help: 'tree | ring | gossip (manifest: strategy)' },
  seed: { type: 'string', arg: 'S', help: 'seed for keys and fault selection (manifest: seed)' },
  dead: { type: 'string', arg: 'D', help: 'nodes listed but never started (manifest: faults.dead)' },
  unreliable: { type: 'string', arg: 'U', help: 'nodes that drop and delay relays (manifest: faults.unreliable)' },
  backend: { type: 'string', arg: 'B', help: 'process | docker (compose, swarm: not yet) (manifest: backend)' },
  'base-port': { type: 'string', arg: 'P', help: 'node i listens on P+i-1 (manifest: basePort)' },
  host: { type: 'string', arg: 'H', help: 'address nodes listen on (manifest: host)' },
  'run-id': { type: 'string', arg: 'ID', help: 'pin the run id (and so the network id); default sp-<8 hex>' },
};

const JSON_OPTION: OptionSpec = { type: 'boolean', help: 'print one JSON object instead of text' };

export const COMMANDS: Record<CommandName, CommandSpec> = {
  up: {
    name: 'up',
    args: [],
    summary: 'generate keys and configs from manifest + seed, start the nodes detached, wait until healthy',
    options: {
      ...MANIFEST_OPTIONS,
      timeout: { type: 'string', arg: 'MS', help: 'time every node has to answer /health (default 30000 + 50 per node)' },
      json: JSON_OPTION,
    },
  },
  status: {
    name: 'status',
    args: [],
    summary: "each node's id, address, role, process, health and directory epoch; the latest directory and who is DOWN in it",
    options: { json: JSON_OPTION },
    notes: [
      'ROLE is live, unreliable, dead (never started) or byzantine:KIND (started misbehaving: probed, not counted as live).',
      'GENESIS is the status in genesis.json (after `spinoza join`, in the directory it verified). EPOCH and SELF come from',
      'each node\'s GET /directory: the epoch it holds (marked "behind" or "fork") and its own status there. The directory',
      'line names the latest epoch, how many nodes hold that very snapshot, and who is DOWN, UNRELIABLE or NEW in it, or',
      'was registered after genesis.',
    ],
  },
  join: {
    name: 'join',
    args: [],
    summary: 'add nodes to the running testnet: each registers by a quorum of members (needs params.membership)',
    options: {
      count: { type: 'string', arg: 'N', help: 'nodes to add (required; 1 to 1000)' },
      via: { type: 'string', arg: 'NODE_ID', help: 'member every new node asks first (default: live members in good standing, spread)' },
      timeout: { type: 'string', arg: 'MS', help: 'until every new node serves as its admitted id (default 60000)' },
      json: JSON_OPTION,
    },
    notes: [
      'Keys derive from the seed (and how many nodes joined before); the authority key of genesis signs each admission credential.',
      'Prints the id each new node was admitted as. They are live nodes of the run from then on: `spinoza down` stops them too.',
    ],
  },
  broadcast: {
    name: 'broadcast',
    args: ['TEXT'],
    summary: 'send TEXT through the trusted client and wait for its verified delivery proof',
    options: {
      via: { type: 'string', arg: 'NODE_ID', help: 'entry node (default: the first live, reliable node)' },
      strategy: { type: 'string', arg: 'S', help: "tree | ring | gossip (default: the run's)" },
      timeout: { type: 'string', arg: 'MS', help: 'wait this long for the proof (default 30000)' },
      json: JSON_OPTION,
    },
    notes: ['Exits 1 if the proof is invalid or a live node is missing from it.'],
  },
  verify: {
    name: 'verify',
    args: ['ID'],
    summary: "fetch the stored delivery proof of broadcast ID and re-verify it against the run's directory",
    options: { timeout: { type: 'string', arg: 'MS', help: 'per node asked (default 5000)' }, json: JSON_OPTION },
    notes: [
      "The run's directory is genesis.json, or after `spinoza join` the directory the orchestrator verified from it",
      '(directory.json), never what a node says about itself. Exits 1 if the proof is invalid or a live node is missing from it.',
    ],
  },
  report: {
    name: 'report',
    args: [],
    summary: "the checker's report of the run so far, from the nodes' event logs (also writes report.json/.html)",
    options: {
      'run-id': { type: 'string', arg: 'ID', help: 'report on this run of the state home (also after `down`); default: the current run' },
      json: JSON_OPTION,
    },
  },
  logs: {
    name: 'logs',
    args: ['NODE'],
    summary: "print a node's output (its log file, or its container's logs)",
    options: {},
  },
  down: {
    name: 'down',
    args: [],
    summary: 'stop every node of the current run (SIGTERM, then SIGKILL) and forget it as current',
    options: { purge: { type: 'boolean', help: "also delete the run's directory (configs, keys, events, logs)" } },
  },
  demo: {
    name: 'demo',
    args: [],
    summary: 'up a fresh run in a temporary state dir, send the workload, print the report, tear down (npm start)',
    options: {
      ...MANIFEST_OPTIONS,
      timeout: { type: 'string', arg: 'MS', help: 'per broadcast (default 30000)' },
      keep: { type: 'boolean', help: 'keep the temporary state dir (report.json, report.html, logs)' },
    },
    notes: [
      'Exits 0 only if every live node received every broadcast with a valid proof.',
      'The temporary state dir is removed after a success, kept after a failure (or with --keep or --state-dir).',
    ],
  },
  shape: {
    name: 'shape',
    args: ['[PROFILE]'],
    summary: "change the running testnet's network impairment (a manifest profile, flags, or --clear), then probe it",
    options: SHAPE_OPTIONS,
    notes: [
      'PROFILE names one of the manifest\'s impairment.profiles; flags override its fields, or make a profile alone.',
      'Applied in userspace by the node transport (this kernel has no sch_netem). Exits 1 if the probe disagrees with the profile.',
    ],
  },
  chaos: {
    name: 'chaos',
    args: [],
    summary: 'kill, restart, pause, partition and lose frames on the running testnet from a seeded schedule, under a workload; heal; check',
    options: CHAOS_OPTIONS,
    notes: [
      'Every fault goes to <run>/faults.ndjson; the report classifies each miss as expected, late-after-heal or protocol-failure.',
      'Exits 1 unless every live node holds every accepted broadcast and the checker finds no protocol failure.',
    ],
  },
};

const optionLines = (opts: Record<string, OptionSpec>): string[] => {
  const rows = Object.entries(opts).map(([name, o]) =>
    [`${o.short ? `-${o.short}, ` : '    '}--${name}${o.arg ? ` ${o.arg}` : ''}`, o.help] as const);
  const width = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, h]) => `  ${l.padEnd(width)}  ${h}`);
};

export function commandHelp(c: CommandSpec): string {
  return [
    `usage: spinoza ${c.name}${c.args.map((a) => ` ${a}`).join('')} [options]`,
    '',
    c.summary,
    ...(c.notes ? ['', ...c.notes] : []),
    '',
    'options:',
    ...optionLines({ ...c.options, ...GLOBAL_OPTIONS }),
  ].join('\n') + '\n';
}

export function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    'usage: spinoza <command> [options]',
    '',
    'A local testnet of validated-broadcast nodes and its trusted client.',
    '',
    'commands:',
    ...Object.values(COMMANDS).map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'options for every command:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Run `spinoza <command> --help` for its options.',
  ].join('\n') + '\n';
}
