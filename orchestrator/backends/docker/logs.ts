// Container output: `docker logs` through the API, and a copy in the state dir before a container is
// removed, so `spinoza logs NODE` still works after `down` (as with the process backend's files).
import { writeFile } from 'node:fs/promises';
import type Docker from 'dockerode';
import { statusOf } from './engine.js';

/**
 * The text of a non-TTY container's log stream: frames of an 8-byte header (stream type, 3 zero
 * bytes, big-endian length) and a payload; stdout and stderr are kept in the order written.
 */
export function demuxLogs(buf: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    const type = buf[at]!;
    if (type > 2 || buf[at + 1] !== 0 || buf[at + 2] !== 0 || buf[at + 3] !== 0) {
      parts.push(buf.subarray(at)); // not multiplexed after all (a TTY container): plain text
      return Buffer.concat(parts).toString('utf8');
    }
    const len = buf.readUInt32BE(at + 4);
    parts.push(buf.subarray(at + 8, at + 8 + len));
    at += 8 + len;
  }
  return Buffer.concat(parts).toString('utf8');
}

/** All of a container's output so far (`tail` lines only, if given). */
export async function containerLogs(docker: Docker, containerId: string, tail?: number): Promise<string> {
  const buf = await docker.getContainer(containerId).logs({ stdout: true, stderr: true, follow: false, ...(tail !== undefined && { tail }) });
  return demuxLogs(buf);
}

/** The line that best says why a node stopped: its last error line, else its last line. */
export function lastErrorLine(text: string): string | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const line = lines.findLast((l) => /error/i.test(l)) ?? lines.at(-1);
  return line && line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** Copies a container's output to `file`; a container already gone is skipped. */
export async function saveLogs(docker: Docker, containerId: string, file: string): Promise<void> {
  let text: string;
  try {
    text = await containerLogs(docker, containerId);
  } catch (e) {
    if (statusOf(e) === 404) return;
    throw e;
  }
  await writeFile(file, text);
}
