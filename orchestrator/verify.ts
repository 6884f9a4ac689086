// `verify`: fetch a stored delivery proof from the run's nodes and re-verify it from scratch against
// the run's directory as the orchestrator verified it — genesis.json, or after a `join` directory.json
// (run.ts openRun) — not against anything the node says about itself.
import { summarizeProof, type DeliverySummary } from '../client/index.js';
import { Directory } from '../node/directory/directory.js';
import { MessageId, Proof } from '../node/wire/schemas.js';
import { abortError, SpinozaError } from './errors.js';
import { mapLimit, nodeUrl } from './health.js';
import { nodeEntry, openRun, type OpenRun } from './run.js';
import { readBroadcasts } from './state.js';

export interface VerifyOptions {
  home: string;
  id: string;
  /** Per node asked; default 5000. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface VerifyResult extends DeliverySummary {
  /** The node whose stored proof was verified. */
  source: number;
  proof: Proof;
}

export async function verify(opts: VerifyOptions): Promise<VerifyResult> {
  if (!MessageId.safeParse(opts.id).success) {
    throw new SpinozaError('usage', `"${opts.id}" is not a broadcast id`, 'ids are 64 hex characters, as printed by `spinoza broadcast`');
  }
  const run = await openRun(opts.home);
  const found = await findProof(run, opts);
  if (!found) {
    throw new SpinozaError('proof-not-found', `no live node of run ${run.layout.runId} holds a proof of ${opts.id}`,
      'check the id; proofs are kept by the entry node (up to params.maxProofs)');
  }
  const dir = new Directory(run.directory);
  return { ...summarizeProof(found.proof, dir, run.record.live, opts.id), source: found.node, proof: found.proof };
}

/** Asks the broadcast's entry node first (from this state dir's log), then every live node. */
async function findProof(run: OpenRun, opts: VerifyOptions): Promise<{ node: number; proof: Proof } | undefined> {
  const logged = (await readBroadcasts(run.layout)).find((b) => b.id === opts.id);
  if (logged && run.record.live.includes(logged.via)) {
    const proof = await fetchProof(run, logged.via, opts);
    if (proof) return { node: logged.via, proof };
  }
  const others = run.record.live.filter((id) => id !== logged?.via);
  const proofs = await mapLimit(others, 16, async (node) => ({ node, proof: await fetchProof(run, node, opts) }));
  // Several nodes may hold one; the most complete is the most useful to verify.
  const best = proofs
    .filter((p): p is { node: number; proof: Proof } => p.proof !== undefined)
    .sort((a, b) => Number(b.proof.complete) - Number(a.proof.complete) || b.proof.receipts.length - a.proof.receipts.length);
  return best[0];
}

async function fetchProof(run: OpenRun, node: number, opts: VerifyOptions): Promise<Proof | undefined> {
  const entry = nodeEntry(run, node);
  const signals = [AbortSignal.timeout(opts.timeoutMs ?? 5_000), ...(opts.signal ? [opts.signal] : [])];
  let res: Response;
  try {
    res = await fetch(nodeUrl(entry, `/broadcasts/${opts.id}`), { signal: AbortSignal.any(signals) });
  } catch (e) {
    if (opts.signal?.aborted) throw abortError(opts.signal, 'fetching the proof');
    return undefined; // this node is unreachable; another may hold the proof
  }
  if (res.status === 404) return undefined;
  if (res.status !== 200) {
    throw new SpinozaError('proof-invalid', `node ${node} answered GET /broadcasts/${opts.id} with HTTP ${res.status}`,
      `see \`spinoza logs ${node}\``);
  }
  const parsed = Proof.safeParse(await res.json());
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SpinozaError('proof-invalid', `node ${node} served a malformed proof (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'})`,
      `see \`spinoza logs ${node}\``);
  }
  return parsed.data;
}
