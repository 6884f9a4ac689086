// What a docker testnet costs this machine, read from /proc and the engine: memory, kernel
// neighbour entries, tasks, dockerd's descriptors; and each container's own memory (docker stats).
import { readdirSync, readFileSync } from 'node:fs';
import { freemem } from 'node:os';
import type Docker from 'dockerode';
import { mapLimit } from '../../orchestrator/health.js';

export interface HostSample {
  memAvailableBytes: number;
  /** Entries in the kernel's IPv4 neighbour table (all network namespaces share it). */
  neighbourEntries: number | null;
  /** Threads of every process on the machine. */
  tasks: number | null;
  dockerdFds: number | null;
}

const tryRead = (file: string): string | null => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null; // not Linux, or not ours to read: the figure is left out
  }
};

export function sampleHost(): HostSample {
  const arp = tryRead('/proc/net/stat/arp_cache')?.split('\n')[1]?.trim().split(/\s+/)[0];
  const pids = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  let tasks = 0;
  let dockerdFds: number | null = null;
  for (const pid of pids) {
    const threads = /^Threads:\s+(\d+)/m.exec(tryRead(`/proc/${pid}/status`) ?? '');
    tasks += Number(threads?.[1] ?? 0);
    if (tryRead(`/proc/${pid}/comm`)?.trim() === 'dockerd') {
      try {
        dockerdFds = readdirSync(`/proc/${pid}/fd`).length;
      } catch {
        dockerdFds = null;
      }
    }
  }
  return { memAvailableBytes: freemem(), neighbourEntries: arp ? parseInt(arp, 16) : null, tasks, dockerdFds };
}

/**
 * A container's working set as `docker stats` shows it: cgroup usage less the inactive page cache
 * (file pages the kernel drops first), in bytes.
 */
export async function containerMemory(docker: Docker, ids: readonly string[]): Promise<number[]> {
  return mapLimit(ids, 8, async (id) => {
    const s = await docker.getContainer(id).stats({ stream: false, 'one-shot': true });
    const m = s.memory_stats as { usage?: number; stats?: Record<string, number> };
    const inactive = m.stats?.total_inactive_file ?? m.stats?.inactive_file ?? 0;
    return (m.usage ?? 0) - inactive;
  });
}

export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
