// Delivery-proof verification from scratch: anyone holding the directory can run it.
import type { Directory } from '../directory/directory.js';
import { messageId, verifyBroadcast, verifyReceipt } from '../wire/messages.js';
import type { Proof } from '../wire/schemas.js';

export interface ProofCheck {
  /** Every signature in the proof verifies and nothing in it is unknown or repeated. */
  valid: boolean;
  problems: string[];
  /** Members with a valid receipt, ascending. */
  delivered: number[];
  /** Members in good standing without a valid receipt, ascending. */
  missing: number[];
}

export function verifyProof(proof: Proof, dir: Directory): ProofCheck {
  const problems: string[] = [];
  if (proof.msg.net !== dir.network) problems.push(`network ${proof.msg.net} is not ${dir.network}`);
  if (messageId(proof.msg) !== proof.id) problems.push('proof id does not match its message');
  const origin = dir.originKey(proof.msg.from);
  if (!('key' in origin)) problems.push(`origin ${proof.msg.from}: ${origin.reason}`);
  else if (!verifyBroadcast(origin.key, proof.msg)) problems.push('initiator signature invalid');

  const delivered = new Set<number>();
  for (const r of proof.receipts) {
    const key = dir.nodeKey(r.node);
    if (!key) problems.push(`receipt from unknown node ${r.node}`);
    else if (delivered.has(r.node)) problems.push(`two receipts from node ${r.node}`);
    else if (!verifyReceipt(key, proof.msg.net, proof.id, r)) problems.push(`receipt of node ${r.node} has a bad signature`);
    else delivered.add(r.node);
  }
  return {
    valid: problems.length === 0,
    problems,
    delivered: [...delivered].sort((a, b) => a - b),
    missing: dir.members.filter((id) => !delivered.has(id)),
  };
}
