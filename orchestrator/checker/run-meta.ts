// Who was in the run: run.json (written by the orchestrator) and genesis.json (the directory).
// Only the fields the checker needs are parsed, so the orchestrator may add more freely.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { CheckerError } from './errors.js';
import type { Membership } from './analyze.js';

const Ids = z.array(z.number().int().positive());

const RunFile = z.object({
  runId: z.string().min(1),
  backend: z.string().min(1),
  live: Ids,
  dead: Ids,
  unreliable: Ids.default([]),
});

const GenesisFile = z.object({ nodes: z.array(z.object({ id: z.number().int().positive() })).min(1) });

export interface RunMeta extends Membership {
  runId: string;
  backend: string;
  unreliable: number[];
}

/** Reads run.json and genesis.json of `stateDir`; a CheckerError names what is wrong and the fix. */
export async function readRunMeta(stateDir: string): Promise<RunMeta> {
  const run = await readJson(join(stateDir, 'run.json'), RunFile, 'RUN');
  const genesis = await readJson(join(stateDir, 'genesis.json'), GenesisFile, 'GENESIS');
  return { ...run, members: genesis.nodes.map((n) => n.id) };
}

async function readJson<S extends z.ZodType>(path: string, schema: S, kind: 'RUN' | 'GENESIS'): Promise<z.output<S>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new CheckerError(`${kind}_MISSING`, `no ${path}`, 'start a testnet with `spinoza up`, or pass the state dir of an existing run', { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CheckerError(`${kind}_INVALID`, `${path} is not JSON: ${(err as Error).message}`, 'the file was cut short or edited; run `spinoza down` and `spinoza up` again', { cause: err });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid';
    throw new CheckerError(`${kind}_INVALID`, `${path} is not a valid ${kind === 'RUN' ? 'run' : 'genesis'} file (${where})`, 'it was written by a different version of spinoza, or edited; run `spinoza down` and `spinoza up` again');
  }
  return parsed.data;
}
