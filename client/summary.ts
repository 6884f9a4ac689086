// What a delivery proof says about one broadcast: who has it, who is missing, how fast. Pure.
import type { Directory } from '../node/directory/directory.js';
import { verifyProof } from '../node/receipts/verify.js';
import type { Proof } from '../node/wire/schemas.js';

export interface LatencyMs {
  p50: number | null;
  p99: number | null;
  /** To the last expected node that delivered. */
  max: number | null;
}

export interface DeliverySummary {
  id: string;
  /** Nodes expected to deliver: the live members of the run (all members when unknown). */
  expected: number;
  /** Expected nodes holding a valid receipt. */
  delivered: number;
  /** Expected nodes without a valid receipt, ascending. */
  missing: number[];
  /** Per-node latency, receipt time minus the initiator's timestamp, over expected nodes that delivered. */
  latencyMs: LatencyMs;
  /** Every signature in the proof verifies against the directory and nothing in it is unknown or repeated. */
  proofValid: boolean;
  /** The entry node had heard back from its whole tree when it answered. */
  complete: boolean;
  /** Why the proof is invalid (empty when valid). */
  problems: string[];
}

/**
 * Verifies `proof` from scratch against `dir` and summarises it.
 * @param live ids of the nodes running in this testnet; dead members are in the directory but never answer.
 * @param expectedId the id the caller asked about: a proof of another message is invalid.
 */
export function summarizeProof(proof: Proof, dir: Directory, live?: Iterable<number>, expectedId?: string): DeliverySummary {
  const check = verifyProof(proof, dir);
  const problems = [...check.problems];
  if (expectedId !== undefined && proof.id !== expectedId) problems.push(`proof is for ${proof.id}, not ${expectedId}`);
  const expected = [...new Set(live ?? dir.members)].sort((a, b) => a - b);
  const valid = new Set(check.delivered);
  const at = new Map<number, number>();
  for (const r of proof.receipts) if (valid.has(r.node) && !at.has(r.node)) at.set(r.node, r.at);
  const deliveredIds = expected.filter((id) => valid.has(id));
  const latencies = deliveredIds.map((id) => at.get(id)! - proof.msg.ts).sort((a, b) => a - b);
  return {
    id: proof.id,
    expected: expected.length,
    delivered: deliveredIds.length,
    missing: expected.filter((id) => !valid.has(id)),
    latencyMs: { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: latencies.at(-1) ?? null },
    proofValid: problems.length === 0,
    complete: proof.complete,
    problems,
  };
}

/** Nearest-rank percentile of ascending samples; null when there are none. */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}
