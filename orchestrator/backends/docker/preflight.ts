// Preflight of a docker run: will N containers fit this engine and kernel? Each check is a pure
// function of N and facts read once from the host, so the limits are tested without a machine
// that hits them. Figures per container are measured (docs/docker.md#measured-figures).
import { readdirSync, readFileSync } from 'node:fs';
import { freemem } from 'node:os';
import type Docker from 'dockerode';
import { SpinozaError } from '../../errors.js';
import { isLocalEngine } from './engine.js';

/**
 * What one node container costs the host, measured at 200 containers on 2 cores (cgroup v1):
 * 30 MB of host memory each (docker stats: mean 27.5 MB, the entry node's max 48 MB), 23 tasks,
 * 8 dockerd descriptors. Rounded up for headroom.
 */
export const PER_CONTAINER = {
  /** Host memory: the node's working set plus its containerd-shim, tini and kernel objects. */
  memoryBytes: 40 * 2 ** 20,
  /** Tasks (threads and processes): node's threads, tini, the containerd-shim's threads. */
  tasks: 25,
  /** dockerd file descriptors (log files, stdio pipes, the shim connection). */
  dockerdFds: 8,
} as const;

/**
 * Peers a node has exchanged packets with in the last minute (the neighbour table's stale time):
 * its links plus ~2 random anti-entropy peers a second. Measured: 148 per container at 200.
 */
export const ACTIVE_PEERS_PER_NODE = 150;

/**
 * Kernel neighbour (ARP) entries N containers keep: one per recently used peer in each container's
 * namespace, plus the host's to each container. The table and its limit are shared by all namespaces.
 */
export const neighbourEntries = (n: number): number => n * (Math.min(n - 1, ACTIVE_PEERS_PER_NODE) + 1);

/** A Linux bridge has at most 1024 ports (BR_MAX_PORTS), one for itself: 1023 containers per network. */
export const MAX_CONTAINERS_PER_BRIDGE = 1023;
/** Kept free for the orchestrator, dockerd and the rest of the machine. */
const MEMORY_RESERVE_BYTES = 512 * 2 ** 20;

/** Facts about the host; a fact that cannot be read (remote engine, no /proc) is undefined and not checked. */
export interface HostFacts {
  memAvailableBytes: number | undefined;
  /** net.ipv4.neigh.default.gc_thresh3: the neighbour table's hard limit, shared by every netns. */
  neighbourLimit: number | undefined;
  /** The smaller of kernel.pid_max and kernel.threads-max. */
  taskLimit: number | undefined;
  /** dockerd's `Max open files`. */
  dockerdFdLimit: number | undefined;
}

const MB = 2 ** 20;

/** N containers on one bridge network: more than it has ports is refused (the run's nodes share one). */
export function bridgeLimit(n: number): SpinozaError | undefined {
  if (n <= MAX_CONTAINERS_PER_BRIDGE) return undefined;
  return new SpinozaError('kernel-limit', `${n} containers do not fit one bridge network (at most ${MAX_CONTAINERS_PER_BRIDGE}: a Linux bridge has 1024 ports)`,
    `use at most ${MAX_CONTAINERS_PER_BRIDGE} live nodes, or the process backend for more (docs/docker.md#beyond-1000-containers)`);
}

/** The first limit N containers would break, as an error with the fix; undefined when all fit. */
export function checkLimits(n: number, facts: HostFacts): SpinozaError | undefined {
  const bridge = bridgeLimit(n);
  if (bridge) return bridge;
  const needMem = n * PER_CONTAINER.memoryBytes + MEMORY_RESERVE_BYTES;
  if (facts.memAvailableBytes !== undefined && needMem > facts.memAvailableBytes) {
    const fits = Math.max(0, Math.floor((facts.memAvailableBytes - MEMORY_RESERVE_BYTES) / PER_CONTAINER.memoryBytes));
    return new SpinozaError('insufficient-memory',
      `${n} containers need about ${Math.round(needMem / MB)} MB, ${Math.round(facts.memAvailableBytes / MB)} MB are available`,
      `use --nodes ${fits} or fewer, or free memory (each node container takes ~${PER_CONTAINER.memoryBytes / MB} MB)`);
  }
  const needNeigh = neighbourEntries(n);
  if (facts.neighbourLimit !== undefined && needNeigh > facts.neighbourLimit) {
    const t3 = 2 ** Math.ceil(Math.log2(needNeigh));
    return new SpinozaError('kernel-limit',
      `${n} containers need ~${needNeigh} neighbour-table entries, net.ipv4.neigh.default.gc_thresh3 is ${facts.neighbourLimit}: packets would be dropped ("neighbour table overflow")`,
      `raise the limits: sysctl -w net.ipv4.neigh.default.gc_thresh1=${t3 / 8} net.ipv4.neigh.default.gc_thresh2=${t3 / 2} net.ipv4.neigh.default.gc_thresh3=${t3}` +
        (facts.neighbourLimit < 262_144 ? ' (`bash docker/setup-engine.sh` sets 32768/131072/262144)' : ''));
  }
  const needTasks = n * PER_CONTAINER.tasks;
  if (facts.taskLimit !== undefined && needTasks > facts.taskLimit) {
    return new SpinozaError('kernel-limit', `${n} containers need ~${needTasks} tasks, kernel.pid_max/threads-max allow ${facts.taskLimit}`,
      'raise them: sysctl -w kernel.pid_max=4194304 kernel.threads-max=4194304');
  }
  const needFds = n * PER_CONTAINER.dockerdFds + 1024;
  if (facts.dockerdFdLimit !== undefined && needFds > facts.dockerdFdLimit) {
    return new SpinozaError('kernel-limit', `${n} containers need ~${needFds} open files in dockerd, its limit is ${facts.dockerdFdLimit}`,
      'restart dockerd with a higher limit (ulimit -n 1048576, or LimitNOFILE= in its systemd unit)');
  }
  return undefined;
}

/** Reads the facts for an engine on this machine; a remote engine gets only its memory total. */
export async function readHostFacts(docker: Docker): Promise<HostFacts> {
  if (!isLocalEngine(docker)) {
    const info = (await docker.info()) as { MemTotal?: number };
    return { memAvailableBytes: info.MemTotal, neighbourLimit: undefined, taskLimit: undefined, dockerdFdLimit: undefined };
  }
  const pidMax = readNumber('/proc/sys/kernel/pid_max');
  const threadsMax = readNumber('/proc/sys/kernel/threads-max');
  return {
    // os.freemem() is MemAvailable on Linux: free plus what the kernel can reclaim.
    memAvailableBytes: freemem(),
    neighbourLimit: readNumber('/proc/sys/net/ipv4/neigh/default/gc_thresh3'),
    taskLimit: pidMax === undefined || threadsMax === undefined ? pidMax ?? threadsMax : Math.min(pidMax, threadsMax),
    dockerdFdLimit: dockerdFdLimit(),
  };
}

function readNumber(file: string): number | undefined {
  try {
    const v = Number(readFileSync(file, 'utf8').trim());
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined; // no such file here (not Linux, or a restricted /proc): not checked
  }
}

/** `Max open files` (soft) of the dockerd process, found by name in /proc; undefined if not visible. */
function dockerdFdLimit(): number | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'dockerd') continue;
      const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
      return line?.[1] === 'unlimited' ? undefined : Number(line?.[1]);
    } catch {
      continue; // exited while we looked, or not ours to read
    }
  }
  return undefined;
}
