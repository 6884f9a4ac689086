// The registrar's saved state: its run id (hence the network id) and the directory, rewritten
// atomically after every admission, so a restarted registrar keeps every registration.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { DirectoryData } from '../directory/schema.js';

export const RegistrarState = z.object({
  runId: z.string().min(1).max(64),
  directory: DirectoryData.nullable(),
});
export type RegistrarState = z.infer<typeof RegistrarState>;

export const newRunId = (): string => `compose-${randomBytes(6).toString('hex')}`;

/** The saved state at `path`, or undefined when there is none yet. A corrupt file is an error, never ignored. */
export async function loadRegistrarState(path: string): Promise<RegistrarState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const parsed = RegistrarState.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${path}: not a registrar state: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** Saves in order: each call waits for the previous write, then replaces the file by rename. */
export function stateWriter(path: string): (state: RegistrarState) => Promise<void> {
  let last: Promise<void> = mkdir(dirname(path), { recursive: true }).then(() => {});
  return (state) => {
    const text = JSON.stringify(state);
    // A failed write was reported to its own caller; the next one still runs.
    last = last.catch(() => {}).then(async () => {
      const tmp = `${path}.tmp`;
      await writeFile(tmp, text);
      await rename(tmp, path);
    });
    return last;
  };
}
