// `spinoza chaos`'s body: flags → plan (or a dry run) → session; returns the text, the JSON and the exit
// code, never prints (the CLI does, progress included, through onProgress).
import { parseChaosArgs } from './args.js';
import { formatChaos, formatSchedule } from './format.js';
import { planChaos } from './plan.js';
import type { Schedule } from './schedule.js';
import { chaos, type ChaosProgress, type ChaosResult } from './session.js';

export interface ChaosCommandOptions {
  home: string;
  values: Record<string, string | boolean | undefined>;
  signal?: AbortSignal;
  onProgress?: (p: ChaosProgress) => void;
}

export type ChaosCommandJson = { dryRun: true; via: number; schedule: Schedule } | (ChaosResult & { dryRun: false });

export async function chaosCommand(o: ChaosCommandOptions): Promise<{ text: string; json: ChaosCommandJson; exitCode: number }> {
  const args = parseChaosArgs(o.values);
  const plan = { home: o.home, durationMs: args.durationMs, profile: args.profile, ...(args.seed !== undefined && { seed: args.seed }), ...(args.via !== undefined && { via: args.via }) };
  if (args.dryRun) {
    const { schedule, via } = await planChaos(plan);
    return { text: formatSchedule(schedule, via), json: { dryRun: true, via, schedule }, exitCode: 0 };
  }
  const r = await chaos({
    ...plan, intervalMs: args.intervalMs, settleMs: args.settleMs,
    ...(o.signal && { signal: o.signal }), ...(o.onProgress && { onProgress: o.onProgress }),
  });
  return { text: formatChaos(r), json: { dryRun: false, ...r }, exitCode: r.ok ? 0 : 1 };
}
