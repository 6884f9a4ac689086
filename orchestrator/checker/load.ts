// Streams the nodes' NDJSON event logs into a callback, line by line, without holding a file in
// memory. A line that is not a valid NodeEvent is counted and sampled, never fatal: a node killed
// mid-write leaves a truncated last line, and the report must still come out.
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { NodeEvent } from '../../node/events/schema.js';
import type { InputSummary } from './report.js';

/** Malformed lines kept verbatim in the report; the rest are only counted. */
export const MALFORMED_SAMPLES = 20;

/** The events file of each node, as the node writes it (node/events/sink.ts). */
export const EVENTS_FILE = /^node-(\d+)\.ndjson$/;

export type EventCallback = (event: NodeEvent) => void;

/** Counts from reading one file; `malformedSamples` is appended to, up to its cap. */
export interface FileCounts {
  lines: number;
  events: number;
  malformed: number;
  malformedSamples: InputSummary['malformedSamples'];
}

/** Reads one NDJSON file, calling `onEvent` for every valid line. Blank lines are skipped. */
export async function readEventsFile(path: string, onEvent: EventCallback, counts: FileCounts = emptyCounts()): Promise<FileCounts> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo += 1;
    if (line.trim() === '') continue;
    counts.lines += 1;
    const error = parseLine(line, onEvent);
    if (error === null) {
      counts.events += 1;
      continue;
    }
    counts.malformed += 1;
    if (counts.malformedSamples.length < MALFORMED_SAMPLES) counts.malformedSamples.push({ file: path, line: lineNo, error });
  }
  return counts;
}

/** Reads every `node-<id>.ndjson` in `eventsDir` (a missing dir reads as none). */
export async function loadEvents(eventsDir: string, onEvent: EventCallback, live: readonly number[] = []): Promise<InputSummary> {
  const files = await listEventFiles(eventsDir);
  const counts = emptyCounts();
  for (const file of files) await readEventsFile(join(eventsDir, file.name), onEvent, counts);
  const present = new Set(files.map((f) => f.node));
  return { files: files.length, ...counts, missingFiles: live.filter((id) => !present.has(id)) };
}

/** Event files sorted by node id, so reports and samples come out in a stable order. */
async function listEventFiles(dir: string): Promise<{ name: string; node: number }[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    // No events dir yet means no node has logged anything: an empty input, not a failure.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const files: { name: string; node: number }[] = [];
  for (const name of names) {
    const m = EVENTS_FILE.exec(name);
    if (m?.[1] !== undefined) files.push({ name, node: Number(m[1]) });
  }
  return files.sort((a, b) => a.node - b.node);
}

/** Returns null when the line was a valid event (and hands it on), else why it was not. */
function parseLine(line: string, onEvent: EventCallback): string | null {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (err) {
    return `not JSON: ${(err as Error).message}`;
  }
  const parsed = NodeEvent.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `not a node event: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`;
  }
  onEvent(parsed.data);
  return null;
}

function emptyCounts(): FileCounts {
  return { lines: 0, events: 0, malformed: 0, malformedSamples: [] };
}
