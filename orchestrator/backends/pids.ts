// Process handling for the process backend: is a pid still our node, signal it, wait for it to go.
// Pids outlive the `up` that started them (nodes are detached), so a later `down` must make sure
// a pid was not reused by an unrelated program before it signals it.
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

const HAS_PROC = (() => {
  try {
    readFileSync('/proc/self/cmdline');
    return true;
  } catch {
    return false;
  }
})();

/**
 * True while `pid` runs and (where /proc exists) its command line names `marker` (the node's config
 * file). Zombies count as gone: they hold no port and no CPU.
 */
export function isOurProcess(pid: number, marker: string): boolean {
  if (HAS_PROC) {
    try {
      if (/^\S+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return false;
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(marker);
    } catch {
      return false; // no such process
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Processes whose command line has an argument starting with `prefix` (e.g. the run's nodes/ dir),
 * found through /proc; empty where there is no /proc. Catches nodes whose pid never reached run.json
 * (an `up` killed between spawning and saving).
 */
export function findByArgPrefix(prefix: string): Proc[] {
  if (!HAS_PROC) return [];
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    try {
      const marker = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').find((a) => a.startsWith(prefix));
      return marker ? [{ pid: Number(e), marker }] : [];
    } catch {
      return []; // exited while we looked
    }
  });
}

/** Signals the node's process group (it is detached, so it leads one), falling back to the pid. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // Already gone: nothing to stop.
    }
  }
}

export interface Proc {
  pid: number;
  marker: string;
}

/** Polls until none of `procs` runs or `timeoutMs` passes; returns those still running. */
export async function waitGone(procs: readonly Proc[], timeoutMs: number, signal?: AbortSignal): Promise<Proc[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = procs.filter((p) => isOurProcess(p.pid, p.marker));
  let pauseMs = 10;
  while (alive.length > 0 && Date.now() < deadline) {
    await delay(pauseMs, undefined, signal ? { signal } : {});
    pauseMs = Math.min(pauseMs * 2, 200);
    alive = alive.filter((p) => isOurProcess(p.pid, p.marker));
  }
  return alive;
}

/** SIGTERM, then SIGKILL whatever is left after `graceMs`. Resolves when all are gone. */
export async function terminate(procs: readonly Proc[], graceMs: number): Promise<void> {
  const running = procs.filter((p) => isOurProcess(p.pid, p.marker));
  for (const p of running) signal(p.pid, 'SIGTERM');
  const stubborn = await waitGone(running, graceMs);
  for (const p of stubborn) signal(p.pid, 'SIGKILL');
  await waitGone(stubborn, 5_000);
}
