// Event sinks: library code emits events, never prints (STYLE.md §14).
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { EventBody, NodeEvent } from './schema.js';

export interface EventSink {
  emit(event: EventBody): void;
  close(): Promise<void>;
}

export const nullSink: EventSink = { emit: () => {}, close: async () => {} };

/**
 * Appends one JSON line per event. Lines are batched and written every `flushMs` (or at 64 KiB):
 * one write per event cost a thread-pool hop each, several times the protocol's own CPU per
 * broadcast. A kill -9 loses at most the last `flushMs` of events.
 */
export function ndjsonSink(path: string, node: number, now: () => number = Date.now, flushMs = 100): EventSink {
  mkdirSync(dirname(path), { recursive: true });
  const out: WriteStream = createWriteStream(path, { flags: 'a' });
  let buffer: string[] = [];
  let bytes = 0;
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (buffer.length === 0) return;
    out.write(buffer.join(''));
    buffer = [];
    bytes = 0;
  };
  return {
    emit(event) {
      const line = JSON.stringify({ t: now(), node, ...event }) + '\n';
      buffer.push(line);
      bytes += line.length;
      if (bytes >= 64 << 10) flush();
      else if (!timer) timer = setTimeout(flush, flushMs).unref();
    },
    close: () => {
      flush();
      return new Promise<void>((resolve) => out.end(resolve));
    },
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
