// Addresses of a run's containers: one user-defined bridge with a /16 subnet per run, and a static IP
// per node derived from its id. Static IPs let genesis.json list every node's address before any
// container exists, and they are reachable from the host too (Linux routes to the bridge), so the
// orchestrator, the client and the nodes all use the directory as it is. (Container names resolve
// only inside the network, through Docker's DNS; the testcontainers test shows that variant.)
import { createHash } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import type Docker from 'dockerode';
import type { DirectoryData } from '../../../node/directory/schema.js';
import { SpinozaError } from '../../errors.js';

/** A /16 as its first two octets, e.g. [10, 201] for 10.201.0.0/16. */
export type Subnet16 = readonly [number, number];

/** The port every node listens on inside its container (each has its own network namespace). */
export const NODE_PORT = 7000;
/** .0.0 is the network, .0.1 the bridge (gateway); node `id` gets offset id + 1, so .255.255 stays the broadcast. */
export const MAX_NODES_PER_SUBNET = 65_533;
/**
 * Candidate subnets 10.128.0.0/16 … 10.254.0.0/16: clear of Docker's default pools (172.17–31/16,
 * 192.168/16) and of the 10.0/16-style ranges cloud VPCs and VPNs tend to use.
 */
const FIRST = 128;
const LAST = 254;

export const subnetCidr = ([a, b]: Subnet16): string => `${a}.${b}.0.0/16`;
export const gatewayIp = ([a, b]: Subnet16): string => `${a}.${b}.0.1`;

export function nodeIp([a, b]: Subnet16, id: number): string {
  if (!Number.isInteger(id) || id < 1 || id > MAX_NODES_PER_SUBNET) throw new RangeError(`node id ${id} does not fit a /16`);
  const offset = id + 1;
  return `${a}.${b}.${offset >> 8}.${offset & 255}`;
}

/** The slot an address of the subnet stands for: nodeIp(subnet, ipSlot(ip)) === ip; undefined for another subnet. */
export function ipSlot([a, b]: Subnet16, ip: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (!m || Number(m[1]) !== a || Number(m[2]) !== b) return undefined;
  return Number(m[3]) * 256 + Number(m[4]) - 1;
}

/** The subnet a directory built by nodeIp lives in (`up` recreates the network from genesis.json alone). */
export function subnetOfDirectory(directory: DirectoryData): Subnet16 {
  const m = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(directory.nodes[0]?.host ?? '');
  if (!m) {
    throw new SpinozaError('state-invalid', `genesis.json lists node 1 at "${directory.nodes[0]?.host}", not at a container IP`,
      'this run was not made for the docker backend; start a new one with `spinoza up --backend docker`');
  }
  return [Number(m[1]), Number(m[2])];
}

/** IPv4 ranges already in use here: Docker networks' subnets and this machine's own interfaces. */
async function usedRanges(docker: Docker): Promise<string[]> {
  const networks = await docker.listNetworks();
  const fromDocker = networks.flatMap((n) => (n.IPAM?.Config ?? []).map((c) => c.Subnet ?? '')).filter((s) => s.includes('.'));
  const fromHost = Object.values(networkInterfaces()).flatMap((list) => (list ?? [])
    .filter((i) => i.family === 'IPv4' && i.cidr !== null)
    .map((i) => i.cidr!));
  return [...fromDocker, ...fromHost];
}

const toInt = (ip: string): number => ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);

/** Whether CIDR range `cidr` overlaps the /16 `s`. */
export function overlaps(cidr: string, s: Subnet16): boolean {
  const [ip, bitsText] = cidr.split('/');
  const bits = Number(bitsText ?? 32);
  const start = toInt(ip!);
  const size = 2 ** (32 - bits);
  const base = Math.floor(start / size) * size;
  const ours = toInt(`${s[0]}.${s[1]}.0.0`);
  return base < ours + 65_536 && ours < base + size;
}

/**
 * A /16 no network here uses. The search starts at a place derived from the run id, so runs started
 * at the same moment (tests) rarely race for the same one; the engine refuses an overlap anyway.
 */
export async function pickSubnet(docker: Docker, runId: string): Promise<Subnet16> {
  const used = await usedRanges(docker);
  const span = LAST - FIRST + 1;
  const start = createHash('sha256').update(runId).digest().readUInt16BE(0) % span;
  for (let i = 0; i < span; i++) {
    const candidate: Subnet16 = [10, FIRST + ((start + i) % span)];
    if (!used.some((cidr) => overlaps(cidr, candidate))) return candidate;
  }
  throw new SpinozaError('docker-failed', `no free /16 subnet in 10.${FIRST}.0.0–10.${LAST}.255.255`,
    'remove unused Docker networks (`docker network prune`) or old runs (`spinoza down`)');
}
