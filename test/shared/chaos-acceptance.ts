// The chaos acceptance criteria (issue 4, DESIGN §5), shared by the process and the docker test:
// after the heal every live node holds every accepted broadcast, and the checker finds no
// protocol failure. Backend-specific checks (pids, containers) stay in each test.
import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import type { ChaosResult, OpenRun } from '../../orchestrator/index.js';

/** Ids a node delivered, read from its own NDJSON event log. */
export const deliveredIds = async (file: string): Promise<Set<string>> => new Set((await readFile(file, 'utf8')).split('\n')
  .filter((l) => l.includes('"delivered"')).map((l) => (JSON.parse(l) as { id: string }).id));

export async function expectAcceptance(result: ChaosResult, after: OpenRun): Promise<void> {
  expect(result.workload.accepted).toBeGreaterThan(60);
  expect(result.settle.ok).toBe(true);
  // Independently of the settle wait: every node's own log holds every accepted id.
  const accepted = (await readFile(after.layout.broadcasts, 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
  expect(accepted).toHaveLength(result.workload.accepted);
  for (const id of after.record.live) {
    const held = await deliveredIds(after.layout.events(id));
    expect(accepted.filter((m) => !held.has(m)), `node ${id}`).toEqual([]);
  }

  const r = result.report;
  expect(r.totals.misses.protocolFailure).toBe(0);
  expect(r.totals.lost).toBe(0);
  expect(r.totals.messages).toBe(result.workload.accepted);
  expect(r.totals.misses.lateAfterHeal).toBeGreaterThan(0); // the killed and the cut-off nodes caught up after the heal
  expect(r.chaos).toMatchObject({ faults: 5, open: 0, downAtEnd: [] });
  expect(r.faults).toHaveLength(5);
  expect(r.impairment).toBeNull(); // no impairment was applied besides the faults, and the report says so
  expect(r.anomalies.redelivered).toBe(0); // a restarted node never delivers twice
  expect(result.ok, result.problems.join('; ')).toBe(true);
  expect(await readFile(result.files.html, 'utf8')).toMatch(/class="band"/);
}
