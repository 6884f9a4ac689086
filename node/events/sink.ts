// Event sinks: library code emits events, never prints (STYLE.md §14).
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { EventBody, NodeEvent } from './schema.js';

export interface EventSink {
  emit(event: EventBody): void;
  close(): Promise<void>;
}

export const nullSink: EventSink = { emit: () => {}, close: async () => {} };

/** Appends one JSON line per event; writes are buffered by the stream. */
export function ndjsonSink(path: string, node: number, now: () => number = Date.now): EventSink {
  mkdirSync(dirname(path), { recursive: true });
  const out: WriteStream = createWriteStream(path, { flags: 'a' });
  return {
    emit(event) {
      out.write(JSON.stringify({ t: now(), node, ...event }) + '\n');
    },
    close: () => new Promise<void>((resolve) => out.end(resolve)),
  };
}

/** Keeps events in memory (tests). */
export function memorySink(node: number, now: () => number = Date.now): EventSink & { events: NodeEvent[] } {
  const events: NodeEvent[] = [];
  return {
    events,
    emit: (event) => { events.push({ t: now(), node, ...event } as NodeEvent); },
    close: async () => {},
  };
}
