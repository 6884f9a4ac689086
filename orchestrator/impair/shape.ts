// Changing a running testnet's impairment: validate the profile against the run (nothing changes on a
// bad one), PUT it to every live node's control endpoint, then probe that it is really in effect.
// `shapeCommand` is `spinoza shape`'s body: it returns the text to print and the JSON, never prints.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { NodeConfig } from '../../node/config.js';
import type { ImpairmentProfile, ImpairmentProfileInput } from '../../node/impairment/profile.js';
import { SpinozaError } from '../errors.js';
import { mapLimit, type NodeAddress } from '../health.js';
import { parseManifestYaml } from '../manifest.js';
import { openRun, type OpenRun } from '../run.js';
import { parseShapeArgs } from './args.js';
import { putImpairment, type ControlTarget } from './control.js';
import { formatShape } from './format.js';
import { assertProbe, probe, type ImpairmentMode, type ProbeOptions, type ProbeResult } from './probe.js';
import { checkedProfile, ImpairmentSection, resolveProfile } from './profiles.js';
import { applyKernelProfile, chooseMode, type KernelOptions } from './kernel/index.js';
import { writeImpairmentRecord, type ImpairmentRecord } from './record.js';

export interface ApplyOptions {
  signal?: AbortSignal;
  probe?: Omit<ProbeOptions, 'signal' | 'mode'>;
  /** PUTs in flight at once. Default 16. */
  concurrency?: number;
  /** Throw probe-mismatch when the probe fails (default); false returns the result with `probe.ok` false. */
  assert?: boolean;
  /** Seed of region assignment and loss draws when the profile names none. Default "spinoza". */
  defaultSeed?: string;
  /** Kernel mode (docker backend only, when the preflight finds netem etc.); false: always userspace. */
  kernel?: KernelOptions | false;
}

export interface ShapeResult {
  runId: string;
  mode: ImpairmentMode;
  /** Why this mode, when a kernel preflight ran (docker backend): e.g. sch_netem missing. */
  modeReason?: string;
  /** The profile in effect on every node of `applied`, or null after a clear. */
  profile: ImpairmentProfile | null;
  applied: number[];
  probe: ProbeResult;
}

/** The run's control token (one per run, in every node's config) and its live nodes' addresses. */
export async function controlTarget(run: OpenRun): Promise<ControlTarget> {
  const live = new Set(run.record.live);
  const nodes: NodeAddress[] = run.directory.nodes.filter((n) => live.has(n.id)).map(({ id, host, port }) => ({ id, host, port }));
  const first = nodes[0];
  if (!first) throw new SpinozaError('no-run', `run ${run.layout.runId} has no live node`, 'start a new run with `spinoza up`');
  // Only the control field is read: a full NodeConfig parse would re-validate the whole directory.
  const file = run.layout.nodeConfig(first.id);
  const parsed = z.object({ control: NodeConfig.shape.control }).safeParse(JSON.parse(await readFile(file, 'utf8')));
  const token = parsed.success ? parsed.data.control?.token : undefined;
  if (token === undefined) {
    throw new SpinozaError('control-failed', `run ${run.layout.runId} was started without a control token (${file})`,
      'nodes accept impairment only from the run that started them: start a new run with `spinoza up`');
  }
  return { nodes, token };
}

/** Applies `profile` (null: clear) to every live node, then probes it. */
export async function applyProfile(run: OpenRun, profile: ImpairmentProfileInput | null, o: ApplyOptions = {}): Promise<ShapeResult> {
  const ids = new Set(run.directory.nodes.map((n) => n.id));
  const checked = profile === null ? null : checkedProfile(profile, ids, o.defaultSeed ?? 'spinoza');
  const target = await controlTarget(run);
  // Kernel mode (docs/impairment.md#kernel): tc on every node's egress, and the nodes' own shaper off so
  // nothing is applied twice. Otherwise (this machine: no sch_netem) the node transport applies it.
  const choice = o.kernel === false ? null : await chooseMode(run, o.kernel || {});
  const mode: ImpairmentMode = choice?.mode ?? 'userspace';
  if (mode === 'kernel') await applyKernelProfile(run, checked, o.kernel || {});
  const nodeProfile = mode === 'kernel' ? null : checked;
  const call = { timeoutMs: 10_000, ...(o.signal && { signal: o.signal }) };
  const answers = await mapLimit(target.nodes, o.concurrency ?? 16, (n) =>
    putImpairment(n, target.token, nodeProfile, call).then((state) => ({ id: n.id, state }), (e: unknown) => ({ id: n.id, error: e })));
  const failed = answers.flatMap((a) => ('error' in a ? [a] : []));
  if (o.signal?.aborted) throw failed[0]?.error ?? new SpinozaError('aborted', 'shape: aborted');
  if (failed.length > 0) {
    const first = failed[0]!.error;
    throw new SpinozaError(first instanceof SpinozaError ? first.code : 'control-failed',
      `${failed.length} of ${answers.length} nodes did not take the profile (nodes ${failed.slice(0, 10).map((f) => f.id).join(', ')}): ${(first as Error).message}`,
      'the others have it in effect: fix the cause and shape again, or `spinoza shape --clear`', { cause: first });
  }
  // Never report an impairment that is not in effect: every node must answer with exactly this profile.
  const wanted = JSON.stringify(nodeProfile);
  const off = answers.filter((a) => 'state' in a && JSON.stringify(a.state.profile) !== wanted);
  if (off.length > 0) {
    throw new SpinozaError('control-failed', `nodes ${off.map((a) => a.id).join(', ')} report another profile in effect`, 'shape again');
  }
  // Recorded as soon as every node confirmed it (a probe cut short must not leave the old record),
  // then again with the figures: `spinoza report` states what ran and what was measured.
  const record: ImpairmentRecord = { mode, profile: checked, nodes: answers.map((a) => a.id), appliedAt: Date.now(), source: 'shape', probe: null };
  await writeImpairmentRecord(run.layout.dir, record);
  const result = await probe(target, run.directory, run.record.live, checked, { ...o.probe, mode, ...(o.signal && { signal: o.signal }) });
  await writeImpairmentRecord(run.layout.dir, { ...record, probe: result });
  const shaped: ShapeResult = { runId: run.layout.runId, mode, ...(choice?.preflight && { modeReason: choice.reason }), profile: checked, applied: answers.map((a) => a.id), probe: result };
  if (o.assert ?? true) assertProbe(result);
  return shaped;
}

export interface ShapeCommandOptions {
  home: string;
  positionals: readonly string[];
  values: Record<string, string | boolean | undefined>;
  signal?: AbortSignal;
}

/** `spinoza shape`: text for the terminal, the JSON result, and the exit code (1 when the probe failed). */
export async function shapeCommand(o: ShapeCommandOptions): Promise<{ text: string; json: ShapeResult; exitCode: number }> {
  const args = parseShapeArgs(o.positionals, o.values);
  const run = await openRun(o.home);
  const manifest = await manifestImpairment(run);
  const ids = new Set(run.directory.nodes.map((n) => n.id));
  const req = args.request;
  const profile = req.kind === 'clear' ? null
    : req.kind === 'named' ? resolveProfile(manifest.impairment, req.name, req.overrides, ids, manifest.seed)
    : checkedProfile(req.profile, ids, manifest.seed);
  const json = await applyProfile(run, profile, { assert: false, probe: args.probe, ...(o.signal && { signal: o.signal }) });
  return { text: formatShape(json), json, exitCode: json.probe.ok ? 0 : 1 };
}

const ManifestPart = z.object({ seed: z.string().default('spinoza'), impairment: ImpairmentSection.optional() });

/** The run's manifest seed and named profiles, read from its state dir. */
async function manifestImpairment(run: OpenRun): Promise<z.infer<typeof ManifestPart>> {
  const doc = parseManifestYaml(await readFile(run.layout.manifest, 'utf8'), 'manifest.yaml');
  const parsed = ManifestPart.safeParse(doc ?? {});
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new SpinozaError('manifest-invalid', `manifest.yaml: ${i.path.join('.')}: ${i.message}`, 'fix the impairment section of the manifest');
  }
  return parsed.data;
}
