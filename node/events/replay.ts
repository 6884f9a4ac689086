// Reads a node's own event log back at start: which messages it delivered before a restart.
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

export async function deliveredBefore(path: string, since: number): Promise<{ id: string; t: number }[]> {
  if (!existsSync(path)) return [];
  const out: { id: string; t: number }[] = [];
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.includes('"delivered"')) continue;
    try {
      const e = JSON.parse(line) as { ev?: unknown; id?: unknown; t?: unknown };
      if (e.ev === 'delivered' && typeof e.id === 'string' && typeof e.t === 'number' && e.t >= since) out.push({ id: e.id, t: e.t });
    } catch {
      // A torn last line after a kill -9 is expected; the rest of the log still counts.
    }
  }
  return out;
}
