// The state dir: one folder per run (configs, keys, events, logs, run record) and a `current` pointer.
// Layout: <home>/runs/<runId>/… and <home>/current (a file holding the run id).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile, appendFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { keyPairFromSeed, type KeyPair } from '../node/crypto/index.js';
import { DirectoryData } from '../node/directory/schema.js';
import { InitiatorName, MessageId, NodeId } from '../node/wire/schemas.js';
import { SpinozaError } from './errors.js';
import { BackendName, ByzantineKind, manifestToYaml, type Manifest } from './manifest.js';
import type { Genesis } from './genesis.js';

/** Default home when neither --state-dir nor SPINOZA_HOME is given (resolved against cwd by the CLI). */
export const DEFAULT_HOME = '.spinoza';

export interface RunLayout {
  readonly runId: string;
  readonly home: string;
  readonly dir: string;
  readonly manifest: string;
  readonly genesis: string;
  readonly record: string;
  readonly clientKey: string;
  /** One line per broadcast sent through this CLI: lets `verify` ask the entry node first. */
  readonly broadcasts: string;
  /**
   * The latest directory the orchestrator has verified (genesis plus a certificate chain), written by
   * `spinoza join`; absent until then, when genesis.json is the directory in effect.
   */
  readonly directory: string;
  nodeConfig(id: number): string;
  events(id: number): string;
  log(id: number): string;
  /** Joiner k (`spinoza join`): its EnrolConfig, the folder it keeps its admission in, its event log and output. */
  joinerConfig(k: number): string;
  joinerState(k: number): string;
  joinerEvents(k: number): string;
  joinerLog(k: number): string;
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function runLayout(home: string, runId: string): RunLayout {
  if (!RUN_ID.test(runId)) {
    throw new SpinozaError('usage', `run id "${runId}" is not a valid name`, 'use letters, digits, ".", "_" or "-" (at most 64)');
  }
  const dir = resolve(home, 'runs', runId);
  return {
    runId,
    home: resolve(home),
    dir,
    manifest: join(dir, 'manifest.yaml'),
    genesis: join(dir, 'genesis.json'),
    record: join(dir, 'run.json'),
    clientKey: join(dir, 'keys', 'client.json'),
    broadcasts: join(dir, 'broadcasts.ndjson'),
    nodeConfig: (id) => join(dir, 'nodes', `node-${id}.json`),
    events: (id) => join(dir, 'events', `node-${id}.ndjson`),
    log: (id) => join(dir, 'logs', `node-${id}.log`),
    directory: join(dir, 'directory.json'),
    // In nodes/ too: the process backend finds a run's processes by that folder in their command line.
    joinerConfig: (k) => join(dir, 'nodes', `joiner-${k}.json`),
    joinerState: (k) => join(dir, 'joiners', `joiner-${k}`),
    joinerEvents: (k) => join(dir, 'events', `joiner-${k}.ndjson`),
    joinerLog: (k) => join(dir, 'logs', `joiner-${k}.log`),
  };
}

export const newRunId = (): string => `sp-${randomBytes(4).toString('hex')}`;

/** A node added by `spinoza join`, from the moment it is started (before it has an id). */
export const JoinerRecord = z.object({
  /** Its key is joinerKey(seed, k); k is never reused within a run. */
  k: z.number().int().nonnegative(),
  /** The address it asked to be listed at. */
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  /** The id a quorum admitted it as; absent until then (or if it never was). */
  id: NodeId.optional(),
  /** Process backend: its pid. */
  pid: z.number().int().positive().optional(),
});
export type JoinerRecord = z.infer<typeof JoinerRecord>;

/** run.json: what a later command needs to find and stop the run. */
export const RunRecord = z.object({
  runId: z.string(),
  backend: BackendName,
  createdAt: z.string(),
  state: z.enum(['starting', 'up', 'failed', 'stopped']),
  /** Started nodes expected to deliver every broadcast: honest, unreliable, and admitted joiners. */
  live: z.array(NodeId),
  dead: z.array(NodeId),
  unreliable: z.array(NodeId),
  /** Started with a byzantine behaviour (not in `live`); optional: runs from before it have none. */
  byzantine: z.array(z.object({ id: NodeId, kind: ByzantineKind })).optional(),
  /** Nodes `spinoza join` started, in key order; admitted ones are in `live` too. */
  joiners: z.array(JoinerRecord).optional(),
  /** Process backend: the pid of every node started so far (written as each starts, so a crashed `up` can be cleaned). */
  processes: z.array(z.object({ id: NodeId, pid: z.number().int().positive() })),
});
export type RunRecord = z.infer<typeof RunRecord>;

/** Every node id the run started: live and byzantine (joiners once admitted are live). */
export const startedNodes = (r: Pick<RunRecord, 'live' | 'byzantine'>): number[] =>
  [...r.live, ...(r.byzantine ?? []).map((b) => b.id)].sort((a, b) => a - b);

/** The joiner admitted as node `id`, if that node joined after genesis. */
export const joinerOf = (r: Pick<RunRecord, 'joiners'>, id: number): JoinerRecord | undefined =>
  r.joiners?.find((j) => j.id === id);

const ClientKeyFile = z.object({ name: InitiatorName, seed: z.string().regex(/^[0-9a-f]{64}$/) });
const BroadcastLine = z.object({ id: MessageId, via: NodeId, at: z.number() });
export type BroadcastLine = z.infer<typeof BroadcastLine>;

/** Writes everything a run needs before any node starts. */
export async function writeRunFiles(layout: RunLayout, manifest: Manifest, genesis: Genesis): Promise<void> {
  for (const sub of ['nodes', 'keys', 'events', 'logs']) await mkdir(join(layout.dir, sub), { recursive: true });
  await writeFile(layout.manifest, manifestToYaml(manifest));
  await writeFile(layout.genesis, JSON.stringify(genesis.directory, null, 2) + '\n');
  const client = { name: genesis.client.name, seed: genesis.client.key.seed.toString('hex') };
  await writeFile(layout.clientKey, JSON.stringify(client) + '\n', { mode: 0o600 });
  // Node configs hold private keys: readable by the owner only.
  for (const c of genesis.configs) await writeFile(layout.nodeConfig(c.id), JSON.stringify(c) + '\n', { mode: 0o600 });
}

/** Atomic replace: a reader (or a crash) never sees half a run.json. */
export async function writeRecord(layout: RunLayout, record: RunRecord): Promise<void> {
  const tmp = `${layout.record}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(record, null, 2) + '\n');
  await rename(tmp, layout.record);
}

export const readRecord = (layout: RunLayout): Promise<RunRecord> => readJson(layout.record, RunRecord);
export const readDirectory = (layout: RunLayout): Promise<DirectoryData> => readJson(layout.genesis, DirectoryData);

/** The directory in effect as far as the orchestrator has verified: directory.json after a `join`, else genesis. */
export async function readCurrentDirectory(layout: RunLayout): Promise<DirectoryData> {
  return existsSync(layout.directory) ? readJson(layout.directory, DirectoryData) : readDirectory(layout);
}

/** Atomic replace, as run.json. */
export async function writeCurrentDirectory(layout: RunLayout, directory: DirectoryData): Promise<void> {
  const tmp = `${layout.directory}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(directory, null, 2) + '\n');
  await rename(tmp, layout.directory);
}

export async function readClientKey(layout: RunLayout): Promise<{ name: string; key: KeyPair }> {
  const f = await readJson(layout.clientKey, ClientKeyFile);
  return { name: f.name, key: keyPairFromSeed(Buffer.from(f.seed, 'hex')) };
}

export async function appendBroadcast(layout: RunLayout, line: BroadcastLine): Promise<void> {
  await appendFile(layout.broadcasts, JSON.stringify(line) + '\n');
}

/** Broadcasts sent through this state dir; a missing log is an empty one. */
export async function readBroadcasts(layout: RunLayout): Promise<BroadcastLine[]> {
  const text = await readFile(layout.broadcasts, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return '';
    throw e;
  });
  // A line cut short by a crash mid-append is skipped: the log only speeds `verify` up.
  return text.split('\n').filter((l) => l.trim() !== '').flatMap((l) => {
    let json: unknown;
    try {
      json = JSON.parse(l);
    } catch {
      return [];
    }
    const parsed = BroadcastLine.safeParse(json);
    return parsed.success ? [parsed.data] : [];
  });
}

const currentFile = (home: string): string => resolve(home, 'current');

export async function setCurrent(home: string, runId: string): Promise<void> {
  await mkdir(resolve(home), { recursive: true });
  await writeFile(currentFile(home), runId + '\n');
}

export async function readCurrent(home: string): Promise<string | undefined> {
  try {
    return (await readFile(currentFile(home), 'utf8')).trim() || undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Removes the pointer, but only if it still names this run (a newer run keeps its own). */
export async function clearCurrent(home: string, runId: string): Promise<void> {
  if ((await readCurrent(home)) === runId) await rm(currentFile(home), { force: true });
}

/** The current run's layout and record, or a 'no-run' error that says how to start one. */
export async function currentRun(home: string): Promise<{ layout: RunLayout; record: RunRecord }> {
  const runId = await readCurrent(home);
  if (runId === undefined) {
    throw new SpinozaError('no-run', `no current run in ${resolve(home)}`, 'start one with `spinoza up` (or pass the --state-dir it used)');
  }
  const layout = runLayout(home, runId);
  try {
    return { layout, record: await readRecord(layout) };
  } catch (e) {
    if (e instanceof SpinozaError && e.code === 'state-invalid' && (e.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      throw new SpinozaError('no-run', `run ${runId} has no run.json in ${layout.dir}`, 'start a new run with `spinoza up`', { cause: e });
    }
    throw e;
  }
}

async function readJson<T>(file: string, schema: z.ZodType<T>): Promise<T> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new SpinozaError('state-invalid', `cannot read ${file}: ${(e as Error).message}`, 'the run\'s state dir is damaged; `spinoza down` and start again', { cause: e });
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SpinozaError('state-invalid', `${file}: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`,
      'the run\'s state dir is damaged or from another version; `spinoza down` and start again');
  }
  return parsed.data;
}
