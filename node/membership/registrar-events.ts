// The registrar's NDJSON event log (one JSON object a line; shapes in schema.ts RegistrarEvent).
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RegistrarEvent, RegistrarEventBody } from './schema.js';

export interface RegistrarSink {
  emit(event: RegistrarEventBody): void;
  close(): Promise<void>;
}

export function registrarNdjsonSink(path: string, now: () => number = Date.now): RegistrarSink {
  mkdirSync(dirname(path), { recursive: true });
  const out = createWriteStream(path, { flags: 'a' });
  return {
    emit: (event) => void out.write(JSON.stringify({ t: now(), ...event }) + '\n'),
    close: () => new Promise<void>((resolve) => out.end(resolve)),
  };
}

/** Keeps events in memory (tests). */
export function registrarMemorySink(now: () => number = Date.now): RegistrarSink & { events: RegistrarEvent[] } {
  const events: RegistrarEvent[] = [];
  return {
    events,
    emit: (event) => void events.push({ t: now(), ...event } as RegistrarEvent),
    close: async () => {},
  };
}
