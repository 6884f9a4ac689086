// Who was in the run: run.json (written by the orchestrator) and the run's directory — directory.json,
// the one `spinoza join` verified, when there is one, else genesis.json.
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
  // Runs from before byzantine nodes have none.
  byzantine: z.array(z.object({ id: z.number().int().positive() })).default([]),
});

const DirectoryFile = z.object({ nodes: z.array(z.object({ id: z.number().int().positive() })).min(1) });

export interface RunMeta extends Membership {
  runId: string;
  backend: string;
  unreliable: number[];
  byzantine: number[];
}

type FileKind = 'RUN' | 'GENESIS' | 'DIRECTORY';
const KIND_NAME: Record<FileKind, string> = { RUN: 'run', GENESIS: 'genesis', DIRECTORY: 'directory' };

/**
 * Reads run.json and the run's directory of `stateDir`; a CheckerError names what is wrong and the fix.
 * Nodes admitted by `spinoza join` are in both (live in run.json, listed in directory.json).
 */
export async function readRunMeta(stateDir: string): Promise<RunMeta> {
  const file = (name: string): string => join(stateDir, name);
  const run = parseJson(file('run.json'), (await readText(file('run.json'))) ?? missing('RUN', file('run.json')), RunFile, 'RUN');
  const joined = await readText(file('directory.json'));
  const directory = joined !== undefined
    ? parseJson(file('directory.json'), joined, DirectoryFile, 'DIRECTORY')
    : parseJson(file('genesis.json'), (await readText(file('genesis.json'))) ?? missing('GENESIS', file('genesis.json')), DirectoryFile, 'GENESIS');
  return { ...run, byzantine: run.byzantine.map((b) => b.id), members: directory.nodes.map((n) => n.id) };
}

/** The file's text; undefined when there is no such file. */
async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function missing(kind: 'RUN' | 'GENESIS', path: string): never {
  throw new CheckerError(`${kind}_MISSING`, `no ${path}`, 'start a testnet with `spinoza up`, or pass the state dir of an existing run');
}

function parseJson<S extends z.ZodType>(path: string, text: string, schema: S, kind: FileKind): z.output<S> {
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
    throw new CheckerError(`${kind}_INVALID`, `${path} is not a valid ${KIND_NAME[kind]} file (${where})`, 'it was written by a different version of spinoza, or edited; run `spinoza down` and `spinoza up` again');
  }
  return parsed.data;
}
