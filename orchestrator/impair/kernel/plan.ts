// Kernel mode (docs/impairment.md#kernel): a profile as `tc` commands for one node's eth0. Pure: the
// profile, this node's id and its peers' IPs in, argv arrays out (no shell strings; the helper runs them).
//
// Layout on the node's egress (each directed link a→b is shaped at a's egress, so every link is covered
// once every node has its plan):
//   root   1:   htb default 1
//   1:1         unshaped class (10gbit): traffic to anything that is not a peer (gateway, host)
//   1:2         partition class, leaf `blackhole`: packets a u32 filter sends here are dropped
//   1:<X>       one class per peer (X = 0x10 + index): rate = the link's bandwidth (or 10gbit),
//               leaf netem (delay ± jitter, loss) when the link has any, else pfifo
//   filters     u32 `match ip dst <peer>/32`, one per peer with a stable handle 800::<index+1>:
//               flowid 1:<X>, or 1:2 when the peer holds a grudge against this node (a packet filter,
//               not 100% netem loss; no tc action module is needed, which this kernel lacks).
// Every change is a `replace` (classes, leaves, filters keep their ids), the root is only installed when
// absent and never deleted: a plan can be applied again or over another plan under traffic.
import { linkImpairment, type ImpairmentProfile, type RegionOf } from '../../../node/impairment/profile.js';

export type TcArgv = readonly string[];

/** A command run only when `tc qdisc show dev <dev>` has no line containing `present`. */
export interface TcEnsure {
  present: string;
  argv: TcArgv;
}

export interface TcPlan {
  dev: string;
  ensure: TcEnsure[];
  commands: TcArgv[];
  /** Run nothing unless our root qdisc is installed (a clear on a node that never had one). */
  onlyIfInstalled: boolean;
}

export interface TcPeer {
  id: number;
  /** IPv4 address of the peer on the run's network. */
  ip: string;
}

export interface KernelPlanInput {
  /** null: clear. */
  profile: ImpairmentProfile | null;
  self: number;
  peers: readonly TcPeer[];
  /** Region of a node (`assignRegions` of the profile); only read with a matrix. */
  regionOf?: RegionOf;
  dev?: string;
}

/** Our root qdisc as `tc qdisc show` prints it. */
export const ROOT_SHOWN = 'qdisc htb 1: root';
export const DEFAULT_CLASS = '1:1';
export const DROP_CLASS = '1:2';
/** Rate of classes without a bandwidth: beyond any veth's real rate. */
export const UNLIMITED_RATE = '10gbit';
/** Burst of a bandwidth-limited class, bytes: as the userspace token bucket's 16 KiB. */
export const BURST_BYTES = 16_384;
/** netem queue limit, packets: the default 1000 overflows under long delays. */
export const NETEM_LIMIT = 100_000;
const FIRST_PEER_CLASS = 0x10;
/** u32 item ids are 12 bits; class minors and qdisc majors have room for more. */
export const MAX_PEERS = 0xfff - 1;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const DEV = /^[A-Za-z0-9_.-]{1,15}$/;

const hex = (n: number): string => n.toString(16);
/** Milliseconds as tc reads them (fractions allowed, no exponent). */
export const tcMs = (ms: number): string => `${trim(ms)}ms`;
/** A probability 0..1 as a tc percentage. */
export const tcPercent = (p: number): string => `${trim(p * 100)}%`;
/** Bytes per second as tc bits per second (tc's `bps` would be bytes: spell it out). */
export const tcRate = (bytesPerSecond: number): string => `${Math.max(8, Math.round(bytesPerSecond * 8))}bit`;
const trim = (x: number): string => String(Number(x.toFixed(4)));

/** The tc commands putting `profile` in effect on `self`'s egress (or, with null, clearing it). */
export function kernelPlan(input: KernelPlanInput): TcPlan {
  const dev = input.dev ?? 'eth0';
  if (!DEV.test(dev)) throw new Error(`kernel plan: bad device name ${JSON.stringify(dev)}`);
  const peers = [...input.peers].filter((p) => p.id !== input.self).sort((a, b) => a.id - b.id);
  if (peers.length > MAX_PEERS) throw new Error(`kernel plan: at most ${MAX_PEERS} peers per node, got ${peers.length}`);
  const seen = new Set<string>();
  for (const p of peers) {
    if (!IPV4.test(p.ip)) throw new Error(`kernel plan: node ${p.id} has no IPv4 address (${JSON.stringify(p.ip)})`);
    if (seen.has(p.ip)) throw new Error(`kernel plan: two peers share the address ${p.ip}`);
    seen.add(p.ip);
  }
  const tc = (...args: string[]): TcArgv => ['tc', ...args];
  const filter = (i: number, ip: string, flowid: string): TcArgv =>
    tc('filter', 'replace', 'dev', dev, 'parent', '1:', 'protocol', 'ip', 'prio', '1', 'handle', `800::${hex(i + 1)}`,
      'u32', 'match', 'ip', 'dst', `${ip}/32`, 'flowid', flowid);

  if (input.profile === null) {
    // Clear: every peer's traffic back to the unshaped class. Classes and leaves stay (they drain and
    // then carry nothing); nothing is deleted under traffic.
    return { dev, ensure: [], commands: peers.map((p, i) => filter(i, p.ip, DEFAULT_CLASS)), onlyIfInstalled: true };
  }
  const profile = input.profile;
  const regionOf = input.regionOf ?? (() => undefined);
  const commands: TcArgv[] = [
    tc('class', 'replace', 'dev', dev, 'parent', '1:', 'classid', DEFAULT_CLASS, 'htb', 'rate', UNLIMITED_RATE, 'quantum', '60000'),
    tc('class', 'replace', 'dev', dev, 'parent', '1:', 'classid', DROP_CLASS, 'htb', 'rate', UNLIMITED_RATE, 'quantum', '60000'),
    tc('qdisc', 'replace', 'dev', dev, 'parent', DROP_CLASS, 'handle', '2:', 'blackhole'),
  ];
  peers.forEach((peer, i) => {
    const link = linkImpairment(profile, input.self, peer.id, regionOf);
    const minor = hex(FIRST_PEER_CLASS + i);
    const classid = `1:${minor}`;
    const rate = link.bandwidth === null
      ? ['rate', UNLIMITED_RATE, 'quantum', '60000']
      : ['rate', tcRate(link.bandwidth), 'burst', String(BURST_BYTES), 'cburst', String(BURST_BYTES)];
    commands.push(tc('class', 'replace', 'dev', dev, 'parent', '1:', 'classid', classid, 'htb', ...rate));
    const netem: string[] = [];
    if (link.delayMs > 0 || link.jitterMs > 0) netem.push('delay', tcMs(link.delayMs), ...(link.jitterMs > 0 ? [tcMs(link.jitterMs)] : []));
    if (link.loss > 0) netem.push('loss', tcPercent(link.loss));
    commands.push(netem.length > 0
      ? tc('qdisc', 'replace', 'dev', dev, 'parent', classid, 'handle', `${minor}:`, 'netem', 'limit', String(NETEM_LIMIT), ...netem)
      : tc('qdisc', 'replace', 'dev', dev, 'parent', classid, 'handle', `${minor}:`, 'pfifo', 'limit', '10000'));
    commands.push(filter(i, peer.ip, link.blocked ? DROP_CLASS : classid));
  });
  return {
    dev,
    ensure: [{ present: ROOT_SHOWN, argv: tc('qdisc', 'replace', 'dev', dev, 'root', 'handle', '1:', 'htb', 'default', '1') }],
    commands,
    onlyIfInstalled: false,
  };
}

/** Whether a plan needs sch_netem (a machine without it must not be given one). */
export const needsNetem = (plan: TcPlan): boolean => plan.commands.some((argv) => argv.includes('netem'));
