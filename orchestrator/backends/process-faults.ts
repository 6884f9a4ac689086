// The process backend's FaultTarget: SIGKILL, a fresh spawn from the node's config or a joined node's
// EnrolConfig (run.json gets the new pid), SIGSTOP and SIGCONT, each to the node's process group
// (nodes are detached group leaders).
import { SpinozaError } from '../errors.js';
import type { BackendRun } from './backend.js';
import type { FaultTarget } from './faults.js';
import { isOurProcess, signal, waitGone } from './pids.js';
import { launchOf, spawnNode } from './process.js';

/** How long a SIGKILLed node may take to be gone (the kernel reaps it at once; this is a bound). */
const KILL_TIMEOUT_MS = 5_000;

export function processFaults(run: BackendRun, entry: string): FaultTarget {
  // run.json is rewritten whole: two restarts saving at once must not drop one's pid.
  let saving: Promise<void> = Promise.resolve();
  const running = (id: number): { pid: number; marker: string } => {
    const marker = launchOf(run, id).file;
    const pid = run.record.processes.find((p) => p.id === id)?.pid;
    if (pid === undefined || !isOurProcess(pid, marker)) {
      throw new SpinozaError('node-exited', `node ${id} is not running${pid === undefined ? '' : ` (pid ${pid})`}`,
        `see its log: ${launchOf(run, id).log}`);
    }
    return { pid, marker };
  };
  return {
    async kill(id) {
      const proc = running(id);
      signal(proc.pid, 'SIGKILL');
      if ((await waitGone([proc], KILL_TIMEOUT_MS)).length > 0) {
        throw new SpinozaError('node-exited', `node ${id} (pid ${proc.pid}) survived SIGKILL for ${KILL_TIMEOUT_MS} ms`, 'is it stuck in the kernel? see `spinoza status`');
      }
    },
    async start(id) {
      // A node admitted by `spinoza join` starts from its EnrolConfig again, and resumes as that node.
      const launch = launchOf(run, id);
      const child = spawnNode(entry, launch.file, launch.log, launch.mode);
      const pid = child.pid!;
      saving = saving.then(() => run.save({
        ...run.record,
        processes: [...run.record.processes.filter((p) => p.id !== id), { id, pid }].sort((a, b) => a.id - b.id),
        ...(run.record.joiners && { joiners: run.record.joiners.map((j) => (j.id === id ? { ...j, pid } : j)) }),
      }));
      await saving;
    },
    async pause(id) {
      signal(running(id).pid, 'SIGSTOP');
    },
    async resume(id) {
      // A stopped process still passes isOurProcess (it is not a zombie): resume it by its recorded pid.
      signal(running(id).pid, 'SIGCONT');
    },
  };
}
