// `npm run bench:certs`: quorum certificates compared at 200 and 4,000 members — Ed25519 lists
// (node/membership/quorum.ts, node:crypto) against BLS12-381 aggregates (bls-certificate.ts,
// @noble/curves): size on the wire, verify time, proposer cost, per-member sign time.
// Figures, not assertions: docs/certificates.md. Progress goes to stderr; --json prints JSON.
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { deriveKeyPair, publicKeyObject, type KeyPair } from '../node/crypto/index.js';
import { Directory, type DirectoryData } from '../node/directory/index.js';
import {
  aggregateVotes, blsMembers, blsSign, blsSignProposal, BlsQuorumCertificate, deriveBlsKeyPair, hashProposal, verifyAggregate,
  verifyBlsVote, type BlsKeyPair, type BlsVote,
} from '../node/membership/bls-certificate.js';
import { checkProposal, proposalBytes, quorumSize, signProposal, verifyCertificate, verifyVote } from '../node/membership/quorum.js';
import { QuorumCertificate, type ChangeProposal } from '../node/wire/index.js';

const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '200,4000' },
    /** Verifications per figure; the median is reported. */
    runs: { type: 'string', default: '11' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  process.stdout.write('usage: npm run bench:certs -- [--members 200,4000] [--runs 11] [--json]\n');
  process.exit(0);
}
const SIZES = values.members.split(',').map(Number);
const RUNS = Number(values.runs);
/** Samples of the per-member figures (sign, one vote check): BLS ones cost milliseconds each. */
const SAMPLES = { ed25519: 200, bls: 15 } as const;
/** Proposer-side aggregation decodes every vote: seconds at 4,000, so fewer runs. */
const AGGREGATE_RUNS = 3;
const log = (s: string): void => void process.stderr.write(s + '\n');

interface Row {
  scheme: 'ed25519-list' | 'bls12-381-aggregate';
  members: number;
  quorum: number;
  /** The certificate as JSON on the wire, and its binary minimum (proposal bytes + signatures). */
  certJsonBytes: number;
  certRawBytes: number;
  signUsPerMember: number;
  /** Proposer: checking one vote as it arrives. */
  voteCheckUs: number;
  /** Proposer: building the certificate from the quorum's (checked) votes, and its JSON. */
  assembleMs: number;
  /** Receiver: JSON.parse + zod schema of the certificate. */
  decodeMs: number;
  /** Receiver: proposal checks + every signature (Ed25519) or the aggregate (BLS), median. */
  verifyMs: number;
  /** BLS only: the signers' aggregate key cached from an earlier certificate by the same signers. */
  verifyCachedKeyMs: number | null;
  /** Once per directory: import (Ed25519) or decode and subgroup-check (BLS) every member key. */
  keySetupMs: number;
  /** Bench setup, reported because it shows the pure-JS cost: derive n keys, sign q votes. */
  setup: { deriveKeysMs: number; signQuorumMs: number };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
function timed<T>(fn: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t0 };
}
const timeMs = (fn: () => void): number => timed(fn).ms;
/** Median of `runs` timings of fn, after unmeasured warm-up calls (the JIT, noble's lazy tables). */
function medianMs(runs: number, fn: () => void, warmUps = 2): number {
  for (let i = 0; i < warmUps; i++) fn();
  return median(Array.from({ length: runs }, () => timeMs(fn)));
}
/** Derives n keys (or signs q votes), logging progress every `every`. */
function withProgress<T>(what: string, count: number, make: (i: number) => T, every = 500): { items: T[]; ms: number } {
  const items: T[] = [];
  const ms = timeMs(() => {
    for (let i = 0; i < count; i++) {
      items.push(make(i));
      if ((i + 1) % every === 0 && i + 1 < count) log(`  ${what}: ${i + 1}/${count}`);
    }
  });
  log(`  ${what}: ${count} in ${(ms / 1000).toFixed(1)} s`);
  return { items, ms };
}

/** n members, all UP, ids 1..n; a DOWN of node n proposed by node 1, signed by nodes 1..quorum. */
function scenario(n: number, edKeys: KeyPair[]): { dir: Directory; proposal: ChangeProposal; signers: number[] } {
  const data: DirectoryData = {
    network: 'bench-certs', epoch: 7, neighborhoodSize: 15, initiators: [],
    nodes: edKeys.map((k, i) => ({ id: i + 1, host: '10.0.0.1', port: 9000 + (i % 50_000), publicKey: k.publicKey.toString('base64'), status: 'UP' as const })),
  };
  const dir = new Directory(data);
  const proposal: ChangeProposal = {
    net: dir.network, epoch: dir.epoch + 1, prev: dir.hash, change: { kind: 'down', node: n, evidence: { reason: 'probe-timeout', by: 1, at: 1_700_000_000_000 } },
  };
  return { dir, proposal, signers: Array.from({ length: quorumSize(n) }, (_, i) => i + 1) };
}

function benchEd25519(n: number, edKeys: KeyPair[], deriveKeysMs: number): Row {
  const { dir, proposal: p, signers } = scenario(n, edKeys);
  const sigs = signers.map((s) => signProposal(edKeys[s - 1]!, s, p));
  const keySetupMs = timeMs(() => dir.members.forEach((id) => publicKeyObject(dir.nodeKey(id)!)));
  const cert: QuorumCertificate = { proposal: p, sigs };
  const wire = JSON.stringify(cert);
  const probe = sigs[0]!;
  const voteCheckUs = perOpUs(SAMPLES.ed25519, () => verifyVote(dir, p, probe));
  const verdict = verifyCertificate(cert, dir);
  if (!verdict.ok) throw new Error(`ed25519 certificate rejected: ${verdict.reason}`);
  return {
    scheme: 'ed25519-list', members: n, quorum: signers.length,
    certJsonBytes: Buffer.byteLength(wire), certRawBytes: proposalBytes(p).length + signers.length * (4 + 64),
    signUsPerMember: perOpUs(SAMPLES.ed25519, () => signProposal(edKeys[0]!, 1, p)),
    voteCheckUs,
    assembleMs: medianMs(RUNS, () => JSON.stringify({ proposal: p, sigs: [...sigs] })),
    decodeMs: medianMs(RUNS, () => QuorumCertificate.parse(JSON.parse(wire))),
    verifyMs: medianMs(RUNS, () => verifyCertificate(cert, dir)),
    verifyCachedKeyMs: null,
    keySetupMs,
    setup: { deriveKeysMs, signQuorumMs: timeMs(() => signers.forEach((s) => signProposal(edKeys[s - 1]!, s, p))) },
  };
}

function benchBls(n: number, edKeys: KeyPair[], blsKeys: BlsKeyPair[], deriveKeysMs: number): Row {
  const { dir, proposal: p, signers } = scenario(n, edKeys);
  const { value: members, ms: keySetupMs } = timed(() => blsMembers(blsKeys.map((k, i) => ({ node: i + 1, publicKey: k.publicKey }))));
  const message = hashProposal(p);
  // Every signer signs with its own key; the proposal is hashed to G2 once here only to save
  // minutes of setup (each member hashes it itself: that cost is in signUsPerMember).
  const signed = withProgress(`bls sign n=${n}`, signers.length, (i): BlsVote => ({ node: signers[i]!, sig: blsSign(blsKeys[signers[i]! - 1]!, message) }));
  const votes = signed.items;
  const cert = aggregateVotes(p, votes, members);
  const wire = JSON.stringify(cert);
  const verify = (cacheKey: boolean) => (): void => {
    if (!checkProposal(p, dir).ok) throw new Error('proposal rejected');
    const v = verifyAggregate(cert, members, { cacheKey });
    if (!v.ok) throw new Error(`bls certificate rejected: ${v.reason} (${v.detail})`);
  };
  log(`  bls verify n=${n}`);
  const verifyMs = medianMs(RUNS, verify(false));
  const verifyCachedKeyMs = medianMs(RUNS, verify(true));
  log(`  bls aggregate n=${n} (${AGGREGATE_RUNS} runs)`);
  const assembleMs = medianMs(AGGREGATE_RUNS, () => JSON.stringify(aggregateVotes(p, votes, members)), 1);
  return {
    scheme: 'bls12-381-aggregate', members: n, quorum: signers.length,
    certJsonBytes: Buffer.byteLength(wire), certRawBytes: proposalBytes(p).length + Math.ceil(n / 8) + 96,
    signUsPerMember: perOpUs(SAMPLES.bls, () => blsSignProposal(blsKeys[0]!, p)),
    voteCheckUs: perOpUs(SAMPLES.bls, () => verifyBlsVote(message, votes[0]!, members)),
    assembleMs,
    decodeMs: medianMs(RUNS, () => BlsQuorumCertificate.parse(JSON.parse(wire))),
    verifyMs, verifyCachedKeyMs, keySetupMs,
    setup: { deriveKeysMs, signQuorumMs: signed.ms },
  };
}

/** Median over `samples` single calls, in µs (after warm-up calls). */
const perOpUs = (samples: number, fn: () => void): number => medianMs(samples, fn) * 1000;

const rows: Row[] = [];
for (const n of SIZES) {
  log(`n=${n}: quorum ${quorumSize(n)}`);
  const ed = withProgress(`ed25519 keys n=${n}`, n, (i) => deriveKeyPair('bench-certs', 'node', i + 1), 1000);
  rows.push(benchEd25519(n, ed.items, ed.ms));
  const bls = withProgress(`bls keys n=${n}`, n, (i) => deriveBlsKeyPair('bench-certs', 'node', i + 1));
  rows.push(benchBls(n, ed.items, bls.items, bls.ms));
}

const machine = { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length };
if (values.json) process.stdout.write(JSON.stringify({ machine, rows }, null, 2) + '\n');
else process.stdout.write(render(rows));

function render(rs: Row[]): string {
  const f = (v: number | null, d = 1): string => (v === null ? '–' : v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));
  const lines: [string, (r: Row) => string][] = [
    ['quorum (signers)', (r) => String(r.quorum)],
    ['certificate, JSON bytes', (r) => f(r.certJsonBytes, 0)],
    ['certificate, raw bytes', (r) => f(r.certRawBytes, 0)],
    ['sign, µs per member', (r) => f(r.signUsPerMember, 0)],
    ['proposer: check one vote, µs', (r) => f(r.voteCheckUs, 0)],
    ['proposer: assemble + encode cert., ms', (r) => f(r.assembleMs, 2)],
    ['receiver: decode (JSON + zod), ms', (r) => f(r.decodeMs, 2)],
    ['receiver: verify, ms (median)', (r) => f(r.verifyMs)],
    ['receiver: verify, agg. key cached, ms', (r) => f(r.verifyCachedKeyMs)],
    ['once per directory: member keys, ms', (r) => f(r.keySetupMs)],
    ['bench setup: derive n keys, s', (r) => f(r.setup.deriveKeysMs / 1000, 2)],
    ['bench setup: sign quorum, s', (r) => f(r.setup.signQuorumMs / 1000, 2)],
  ];
  const head = ['', ...rs.map((r) => `${r.scheme === 'ed25519-list' ? 'ed25519' : 'bls'} n=${r.members}`)];
  const body = lines.map(([label, cell]) => [label, ...rs.map(cell)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [
    `quorum certificates — ${machine.cpu}, ${machine.cores} cores, node ${machine.node}; medians of ${RUNS} runs`,
    line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line),
  ].join('\n') + '\n';
}
