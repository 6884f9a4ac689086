// A node's log file in the run's state dir (logs/node-<id>.log): where the process backend writes
// output as it runs, and where the docker backend keeps a container's output once it is removed.
import { readFile } from 'node:fs/promises';
import { SpinozaError } from '../errors.js';
import type { RunRef } from './backend.js';

export async function readLogFile(run: RunRef, id: number): Promise<string> {
  const file = run.layout.log(id);
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    throw new SpinozaError('state-invalid', `node ${id} has no log at ${file}`,
      'it was never started in this run; see `spinoza status`', { cause: e });
  }
}
