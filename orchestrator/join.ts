// `join`: new nodes enter the running testnet by quorum (docs/membership.md#registration). Each gets
// a key from the seed and the authority's credential for it, is started by the backend with
// `--enrol`, and asks live members to admit it. We wait until each serves as the id it was certified
// as, check its certificate chain from genesis ourselves, and keep the new ids and the verified
// directory in the run's files, so `broadcast`, `verify`, `logs` and `down` know the new nodes.
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { EnrolConfig } from '../node/config.js';
import { Directory } from '../node/directory/directory.js';
import { DirectoryData } from '../node/directory/schema.js';
import { followChain } from '../node/membership/enrol.js';
import { QuorumCertificate } from '../node/wire/schemas.js';
import { backendFor, type Backend, type JoinerUnits } from './backends/backend.js';
import { abortError, SpinozaError } from './errors.js';
import { buildEnrolConfig, joinerKey, type JoinerPlacement } from './genesis.js';
import { fetchHealth, mapLimit, nodeUrl } from './health.js';
import { loadManifest, type Manifest } from './manifest.js';
import { backendRun, nodeEntry, openRun, type OpenRun } from './run.js';
import { readDirectory, startedNodes, writeCurrentDirectory, type RunLayout, type RunRecord } from './state.js';

/** Members each joiner may ask, in turn (a busy or suspended one answers 503 and the next is asked). */
const BOOTSTRAP_MEMBERS = 4;
/** Members probed for /health to choose bootstrap members from. */
const BOOTSTRAP_PROBED = 16;
export const MAX_JOIN_COUNT = 1000;
const DEFAULT_TIMEOUT_MS = 60_000;

export interface JoinOptions {
  home: string;
  /** Nodes to add, 1..MAX_JOIN_COUNT. */
  count: number;
  /** A member every joiner asks first; default: live members in good standing, a different one first for each joiner. */
  via?: number;
  /** Until every joiner serves as its admitted id; default 60000. */
  timeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: JoinProgress) => void;
  /** Injected backend (tests); default: the run's. */
  backend?: Backend;
}

export type JoinProgress =
  | { phase: 'starting'; started: number; total: number }
  | { phase: 'admitting'; admitted: number; total: number };

export interface JoinedNode {
  /** Its key index: joinerKey(seed, k). */
  k: number;
  /** The id a quorum admitted it as. */
  id: number;
  host: string;
  port: number;
  /** The directory epoch its registration created. */
  epoch: number;
}

export interface JoinResult {
  runId: string;
  /** In the order they were admitted. */
  joined: JoinedNode[];
  /** The verified directory after these joins: its epoch, entries and members in good standing. */
  epoch: number;
  nodes: number;
  members: number;
}

export async function joinNodes(opts: JoinOptions): Promise<JoinResult> {
  if (!Number.isInteger(opts.count) || opts.count < 1 || opts.count > MAX_JOIN_COUNT) {
    throw new SpinozaError('usage', `--count: expected an integer from 1 to ${MAX_JOIN_COUNT}, got ${opts.count}`, 'see `spinoza join --help`');
  }
  const run = await openRun(opts.home);
  const { layout } = run;
  if (run.record.state !== 'up') {
    throw new SpinozaError('no-run', `run ${layout.runId} is ${run.record.state}, not up`, 'start a run with `spinoza up`');
  }
  const manifest = await loadManifest(layout.manifest);
  if (!manifest.params.membership) {
    throw new SpinozaError('usage', `run ${layout.runId} has membership off (params.membership: false): its nodes admit no one`,
      'start a run whose manifest sets `params: { membership: true }` (docs/membership.md)');
  }
  const backend = opts.backend ?? (await backendFor(run.record.backend));
  const brun = backendRun(run);
  const units = backend.joiners?.(brun);
  if (!units) throw new SpinozaError('not-implemented', `the ${backend.name} backend cannot add nodes`, 'use the process or docker backend');

  const bootstrap = await bootstrapMembers(run, opts.via, opts.signal);
  const next = Math.max(-1, ...(run.record.joiners ?? []).map((j) => j.k)) + 1;
  const ks = Array.from({ length: opts.count }, (_, i) => next + i);
  const places = await units.place(ks, opts.signal);
  await writeEnrolConfigs(run, manifest, ks, places, bootstrap);
  // Recorded before any starts, so `down` finds them even if this command dies half-way.
  await brun.save({ ...brun.record, joiners: [...(brun.record.joiners ?? []), ...ks.map((k) => ({ k, ...places.get(k)!.advertise }))] });

  const total = ks.length;
  let started = 0;
  opts.onProgress?.({ phase: 'starting', started, total });
  await mapLimit(ks, 8, async (k) => {
    opts.signal?.throwIfAborted();
    await units.start(k, opts.signal);
    opts.onProgress?.({ phase: 'starting', started: ++started, total });
  });

  const genesis = await readDirectory(layout);
  const admitted: JoinedNode[] = [];
  let latest: DirectoryData | undefined;
  try {
    await waitAdmitted(run, units, ks, places, opts, (k, enrolment) => {
      const checked = checkEnrolment(genesis, manifest, k, enrolment);
      admitted.push({ k, id: enrolment.id, ...places.get(k)!.advertise, epoch: checked.epoch });
      if (latest === undefined || checked.directory.epoch > latest.epoch) latest = checked.directory;
      opts.onProgress?.({ phase: 'admitting', admitted: admitted.length, total });
    });
  } finally {
    // Whatever was admitted is a member now, even if another joiner failed: the run must know it.
    await recordAdmitted(brun, admitted, latest);
  }
  const dir = new Directory(latest ?? run.directory);
  const joined = admitted.sort((a, b) => a.epoch - b.epoch);
  return { runId: layout.runId, joined, epoch: dir.epoch, nodes: dir.size, members: dir.members.length };
}

/**
 * HTTP URLs of members a joiner may ask: `via` first if given, then live members in good standing
 * (not unreliable, not byzantine) that answer /health now.
 */
async function bootstrapMembers(run: OpenRun, via: number | undefined, signal?: AbortSignal): Promise<{ via?: string; members: string[] }> {
  const dir = new Directory(run.directory);
  const health = (id: number) => fetchHealth(nodeEntry(run, id), { timeoutMs: 2_000, ...(signal && { signal }) });
  let viaUrl: string | undefined;
  if (via !== undefined) {
    const entry = nodeEntry(run, via);
    if (!startedNodes(run.record).includes(via)) {
      throw new SpinozaError('unknown-node', `node ${via} is dead in run ${run.layout.runId}: it never answers`, 'pick a live node; see `spinoza status`');
    }
    const h = await health(via);
    if (!h.ok) throw new SpinozaError('node-unhealthy', `node ${via} does not answer /health (${h.error})`, 'pick another --via, or leave it out');
    viaUrl = nodeUrl(entry, '');
  }
  const unreliable = new Set(run.record.unreliable);
  const members = new Set(dir.members);
  const candidates = run.record.live.filter((id) => id !== via && !unreliable.has(id) && members.has(id)).slice(0, BOOTSTRAP_PROBED);
  const answers = await mapLimit(candidates, 16, health);
  const urls = candidates.filter((_, i) => answers[i]!.ok).map((id) => nodeUrl(nodeEntry(run, id), ''));
  if (urls.length === 0 && viaUrl === undefined) {
    throw new SpinozaError('node-unhealthy', `no live member of run ${run.layout.runId} answers /health`, 'see `spinoza status`');
  }
  return { ...(viaUrl !== undefined && { via: viaUrl }), members: urls };
}

/** Joiner i asks `via` first, then BOOTSTRAP_MEMBERS members starting at the i-th: joiners spread over members. */
export function bootstrapFor(b: { via?: string; members: readonly string[] }, i: number): string[] {
  const n = b.members.length;
  const picked = Array.from({ length: Math.min(BOOTSTRAP_MEMBERS, n) }, (_, j) => b.members[(i + j) % n]!);
  return b.via === undefined ? picked : [b.via, ...picked];
}

async function writeEnrolConfigs(
  run: OpenRun, manifest: Manifest, ks: readonly number[], places: ReadonlyMap<number, JoinerPlacement>, bootstrap: { via?: string; members: string[] },
): Promise<void> {
  for (const [i, k] of ks.entries()) {
    const config = EnrolConfig.parse(buildEnrolConfig(manifest, run.layout.runId, run.directory.network, k, places.get(k)!, bootstrapFor(bootstrap, i)));
    await mkdir(run.layout.joinerState(k), { recursive: true });
    // It holds a private key: readable by the owner only, as node configs.
    await writeFile(run.layout.joinerConfig(k), JSON.stringify(config) + '\n', { mode: 0o600 });
  }
}

/** What a joiner keeps once admitted (node/membership/enrolled-node.ts), read from the host's side of its state folder. */
const Enrolment = z.object({ id: z.number().int().positive(), directory: DirectoryData, chain: z.array(QuorumCertificate) });
type Enrolment = z.infer<typeof Enrolment>;

async function readEnrolment(layout: RunLayout, k: number): Promise<Enrolment | undefined> {
  let text: string;
  try {
    text = await readFile(join(layout.joinerState(k), 'enrolled.json'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const parsed = Enrolment.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new SpinozaError('state-invalid', `joiner ${k}'s admission record is not one: ${parsed.error.issues[0]?.message}`, `see ${layout.joinerLog(k)}`);
  }
  return parsed.data;
}

/**
 * Polls until every joiner has an admission record and answers /health as the id in it. Fails at once
 * when one's unit ends first, and after `timeoutMs` with the ones still waiting.
 */
async function waitAdmitted(
  run: OpenRun, units: JoinerUnits, ks: readonly number[], places: ReadonlyMap<number, JoinerPlacement>,
  opts: Pick<JoinOptions, 'timeoutMs' | 'signal'>, onAdmitted: (k: number, e: Enrolment) => void,
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(ks);
  let pauseMs = 100;
  while (pending.size > 0) {
    for (const k of [...pending]) {
      const enrolment = await readEnrolment(run.layout, k);
      const at = places.get(k)!.advertise;
      if (enrolment && (await fetchHealth({ id: enrolment.id, ...at }, { ...(opts.signal && { signal: opts.signal }) })).ok) {
        pending.delete(k);
        onAdmitted(k, enrolment);
        continue;
      }
      const ended = await units.exited(k);
      if (ended !== undefined) {
        throw new SpinozaError('node-exited', `joiner ${k} (${at.host}:${at.port}) was not admitted: ${ended}`, `see its log: ${run.layout.joinerLog(k)}`);
      }
    }
    if (pending.size === 0) break;
    if (Date.now() > deadline) {
      const first = Math.min(...pending);
      throw new SpinozaError('timeout', `${pending.size} joiner(s) not admitted after ${timeoutMs} ms (joiner ${first} and others)`,
        `see ${run.layout.joinerLog(first)}; raise --timeout on a slow machine; \`spinoza down\` stops them with the run`);
    }
    try {
      await delay(pauseMs, undefined, opts.signal ? { signal: opts.signal } : {});
    } catch {
      throw abortError(opts.signal!, 'waiting for admission');
    }
    pauseMs = Math.min(pauseMs * 1.5, 500);
  }
}

/**
 * Checks a joiner's admission ourselves: its chain of certificates from genesis verifies, and lists
 * the joiner's own key at its id. Returns the certified directory and the epoch of its registration.
 */
function checkEnrolment(genesis: DirectoryData, m: Manifest, k: number, e: Enrolment): { directory: DirectoryData; epoch: number } {
  const key = joinerKey(m.seed, k).publicKey.toString('base64');
  let followed;
  try {
    followed = followChain(genesis, e.chain);
  } catch (err) {
    throw new SpinozaError('state-invalid', `joiner ${k}'s certificate chain does not verify from genesis: ${(err as Error).message}`, 'this is a bug: please report it');
  }
  const entry = new Directory(followed.directory).entry(e.id);
  const registration = followed.chain.find((c) => c.proposal.change.kind === 'register' && c.proposal.change.admission.publicKey === key);
  if (entry?.publicKey !== key || registration === undefined) {
    throw new SpinozaError('state-invalid', `joiner ${k} says it is node ${e.id}, but its certified directory lists another key there`, 'this is a bug: please report it');
  }
  return { directory: followed.directory, epoch: registration.proposal.epoch };
}

/**
 * The admitted joiners become live nodes of the run: their ids in run.json (and pids, for the process
 * backend), the newest verified directory as directory.json, and node-<id> links to their event log
 * and output, where the checker, `logs` and chaos look for a node's files.
 */
async function recordAdmitted(brun: ReturnType<typeof backendRun>, admitted: readonly JoinedNode[], latest: DirectoryData | undefined): Promise<void> {
  if (admitted.length === 0) return;
  const { layout } = brun;
  const byK = new Map(admitted.map((a) => [a.k, a.id]));
  const joiners = (brun.record.joiners ?? []).map((j) => (byK.has(j.k) ? { ...j, id: byK.get(j.k)! } : j));
  const processes: RunRecord['processes'] = joiners.flatMap((j) => (byK.has(j.k) && j.pid !== undefined ? [{ id: j.id!, pid: j.pid }] : []));
  for (const a of admitted) {
    await link(layout.joinerEvents(a.k), layout.events(a.id));
    await link(layout.joinerLog(a.k), layout.log(a.id));
  }
  if (latest !== undefined && latest.epoch > brun.directory.epoch) await writeCurrentDirectory(layout, latest);
  await brun.save({
    ...brun.record,
    joiners,
    live: [...new Set([...brun.record.live, ...byK.values()])].sort((a, b) => a - b),
    processes: [...brun.record.processes, ...processes].sort((a, b) => a.id - b.id),
  });
}

/** `from` made reachable as `to` (a relative link in the same folder; replaces what was there). */
async function link(from: string, to: string): Promise<void> {
  await rm(to, { force: true });
  await symlink(basename(from), to);
}
