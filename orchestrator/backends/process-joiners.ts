// The process backend's half of `spinoza join`: each joiner is one more detached node process,
// started with `--enrol` from its EnrolConfig, on the next free port above every port the run uses.
import { join } from 'node:path';
import { SpinozaError } from '../errors.js';
import type { JoinerPlacement } from '../genesis.js';
import { isPortFree } from '../ports.js';
import type { BackendRun, JoinerUnits } from './backend.js';
import { isOurProcess } from './pids.js';
import { lastLine, spawnNode } from './process.js';

export function processJoiners(run: BackendRun, entry: string): JoinerUnits {
  // run.json is rewritten whole: joiners started at once must not drop each other's pid.
  let saving: Promise<void> = Promise.resolve();
  const joiner = (k: number) => {
    const j = run.record.joiners?.find((x) => x.k === k);
    if (!j) throw new SpinozaError('state-invalid', `joiner ${k} is not in run.json`, 'this is a bug: please report it');
    return j;
  };
  return {
    async place(ks, signal) {
      // The manifest's host, as every node of the run; ports after the highest any node (or joiner) has.
      const host = run.directory.nodes[0]!.host;
      const used = [...run.directory.nodes.map((n) => n.port), ...(run.record.joiners ?? []).map((j) => j.port)];
      let port = Math.max(...used);
      const placed = new Map<number, JoinerPlacement>();
      for (const k of ks) {
        signal?.throwIfAborted();
        do port++; while (port <= 65535 && !(await isPortFree(host, port)));
        if (port > 65535) throw new SpinozaError('port-in-use', `no free port on ${host} above ${Math.max(...used)}`, 'stop what uses them, or start the run with a lower --base-port');
        placed.set(k, {
          advertise: { host, port },
          listen: { host, port },
          directoryPath: run.layout.genesis,
          eventsPath: run.layout.joinerEvents(k),
          enrolledPath: join(run.layout.joinerState(k), 'enrolled.json'),
        });
      }
      return placed;
    },

    async start(k) {
      const child = spawnNode(entry, run.layout.joinerConfig(k), run.layout.joinerLog(k), 'enrol');
      const pid = child.pid!;
      saving = saving.then(() => run.save({
        ...run.record,
        joiners: (run.record.joiners ?? []).map((j) => (j.k === k ? { ...j, pid } : j)),
      }));
      await saving;
    },

    async exited(k) {
      const { pid } = joiner(k);
      if (pid !== undefined && isOurProcess(pid, run.layout.joinerConfig(k))) return undefined;
      const last = lastLine(run.layout.joinerLog(k));
      return `its process exited${last ? `: ${last}` : ''}`;
    },
  };
}
